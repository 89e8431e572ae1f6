// LevelDB writes that fail (a full disk: ENOSPC, a read-only mount) turned into the
// answer Kinesis gives for a temporary failure. kinesalite throws any storage error
// it did not expect from inside a LevelDB callback, which ends the process; an error
// carrying `statusCode` and `body` it answers with instead. So every write through
// kinesalite's levelup (its own copy, so nothing else is touched) reports a failed
// write as 503 ServiceUnavailable, which the SDKs retry, and the next write, once
// there is room again, goes through (unless LevelDB's own compaction hit the full
// disk: LevelDB then refuses writes until reopened, and the message says to restart).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The Kinesis error type and status of a write the store could not make. */
export const STORE_WRITE_ERROR = { type: 'ServiceUnavailable', status: 503 } as const;

type Callback = (err?: Error & { statusCode?: number; body?: unknown; cause?: unknown }, ...rest: unknown[]) => void;
type WriteMethod = (this: unknown, ...args: unknown[]) => unknown;

let installed = false;
/** One log line per streak of failures, not one per request the SDKs retry. */
let lastLogged = 0;

/** Makes kinesalite's LevelDB writes answer 503 instead of throwing; idempotent. */
export function answerStoreWriteErrors(): void {
  if (installed) return;
  installed = true;
  const levelupPath = require.resolve('levelup', { paths: [require.resolve('kinesalite')] });
  const LevelUP = require(levelupPath) as { prototype: Record<'put' | 'del' | 'batch', WriteMethod> };
  for (const method of ['put', 'del', 'batch'] as const) {
    const write = LevelUP.prototype[method];
    LevelUP.prototype[method] = function (this: unknown, ...args: unknown[]) {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = ((err, ...rest) => (callback as Callback)(err ? asServiceUnavailable(err) : err, ...rest)) satisfies Callback;
      }
      return write.apply(this, args);
    };
  }
}

function asServiceUnavailable(err: Error & { statusCode?: number; body?: unknown; cause?: unknown }): Error {
  if (err.statusCode !== undefined) return err;
  const cause = err.cause instanceof Error ? err.cause.message : err.message;
  err.statusCode = STORE_WRITE_ERROR.status;
  // A failed write of the log is retried as is; a failed compaction (a table file or
  // the manifest) LevelDB remembers, refusing every write until it is reopened.
  const sticky = /\.ldb\b|MANIFEST/.test(cause);
  const then = sticky ? 'LevelDB refuses writes after a failed compaction: restart the stack once the disk has room' : 'retry once the disk has room';
  err.body = { __type: STORE_WRITE_ERROR.type, message: `the local Kinesis store could not write (${cause}); ${then}` };
  if (Date.now() - lastLogged > 10_000) {
    lastLogged = Date.now();
    process.stderr.write(`[kinesis] writes fail, answered ${STORE_WRITE_ERROR.status} ${STORE_WRITE_ERROR.type}: ${cause}\n`);
  }
  return err;
}
