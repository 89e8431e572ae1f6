// The runner's checkpoints: per shard, the last sequence number whose record and all
// records before it were processed, and whether a closed shard was drained. Written
// atomically (temporary file, fsync, rename) so a kill leaves the old or the new
// state, never a torn one; a restarted runner goes on from there. A write the disk
// refuses (full, read-only) leaves no temporary file and does not stop the runner:
// the state stays in memory, the next save writes it, and until then a restart only
// re-delivers records the consumers already handle exactly once.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointFileError } from './errors.ts';

export interface ShardCheckpoint {
  sequenceNumber?: string;
  finished?: boolean;
}

interface FileBody {
  version: 1;
  streamName: string;
  functionName: string;
  shards: Record<string, ShardCheckpoint>;
}

export class CheckpointFile {
  private shards: Record<string, ShardCheckpoint> = {};
  private version = 0;
  private written = 0;
  private chain: Promise<void> = Promise.resolve();
  private tmpCounter = 0;
  /** The error of the last write, undefined once a write succeeds again. */
  lastWriteError: Error | undefined;

  constructor(
    /** undefined keeps checkpoints in memory only. */
    readonly path: string | undefined,
    private readonly streamName: string,
    private readonly functionName: string,
  ) {}

  /** Reads the file if it exists; throws CheckpointFileError if it is unreadable or another mapping's. */
  load(): void {
    if (!this.path || !existsSync(this.path)) return;
    let body: FileBody;
    try {
      body = JSON.parse(readFileSync(this.path, 'utf8')) as FileBody;
    } catch (err) {
      throw new CheckpointFileError(this.path, `not valid JSON (${(err as Error).message})`, { cause: err });
    }
    if (body?.version !== 1 || typeof body.shards !== 'object' || body.shards === null) {
      throw new CheckpointFileError(this.path, 'not a version 1 checkpoint file');
    }
    if (body.streamName !== this.streamName || body.functionName !== this.functionName) {
      throw new CheckpointFileError(this.path, `belongs to ${body.functionName} on stream ${body.streamName}, not ${this.functionName} on ${this.streamName}`);
    }
    this.shards = body.shards;
  }

  get(shardId: string): ShardCheckpoint {
    return this.shards[shardId] ?? {};
  }

  set(shardId: string, sequenceNumber: string): void {
    this.shards[shardId] = { ...this.shards[shardId], sequenceNumber };
    this.version++;
  }

  finish(shardId: string): void {
    this.shards[shardId] = { ...this.shards[shardId], finished: true };
    this.version++;
  }

  /**
   * Writes the current state unless a newer write already covers it; writes never
   * overlap. Never rejects for the disk: a failed write is in `lastWriteError` (and
   * reported once per streak), and the next save tries again.
   */
  save(): Promise<void> {
    const target = this.version;
    this.chain = this.chain.then(() => (this.written >= target || !this.path ? undefined : this.writeNow()));
    return this.chain;
  }

  private async writeNow(): Promise<void> {
    const path = this.path!;
    const version = this.version;
    const body: FileBody = { version: 1, streamName: this.streamName, functionName: this.functionName, shards: this.shards };
    const text = JSON.stringify(body, null, 2) + '\n';
    const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(text);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      if (!this.lastWriteError) process.stderr.write(`[runner] checkpoint file ${path} not written, kept in memory and retried: ${(err as Error).message}\n`);
      this.lastWriteError = err as Error;
      return;
    }
    this.lastWriteError = undefined;
    this.written = version;
  }
}
