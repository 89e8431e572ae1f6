// The process that holds an embedded PostgreSQL server: it starts `postgres` and
// stops it (fast shutdown) as soon as its owner asks or goes away, including a
// kill -9 of the owner, which it sees as the IPC channel closing. PostgreSQL itself
// would outlive a killed owner, so this small process is what ties their lives.
// Run by EmbeddedPostgres with fork(); the server's command comes as JSON in argv.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';

interface KeeperCommand { postgres: string; args: string[]; logFile: string; uid?: number; gid?: number }

const command = JSON.parse(process.argv[2] ?? '{}') as KeeperCommand;
const log = openSync(command.logFile, 'a');
const server = spawn(command.postgres, command.args, {
  stdio: ['ignore', log, log],
  env: { ...process.env, LC_MESSAGES: 'C' },
  ...(command.uid !== undefined ? { uid: command.uid, gid: command.gid } : {}),
});
server.once('error', (err) => {
  process.send?.({ type: 'exited', reason: err.message });
  process.exit(1);
});
server.once('exit', (code, signal) => {
  process.send?.({ type: 'exited', reason: signal ?? `exit code ${code}` });
  process.exit(0);
});
const stop = () => { if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT'); };
process.on('disconnect', stop);
process.on('message', (m: { type?: string }) => { if (m?.type === 'stop') stop(); });
// Terminal signals are for the owner to act on; this process only follows it.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', stop);
process.send?.({ type: 'spawned', pid: server.pid });
