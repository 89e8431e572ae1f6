// Starts a TypeScript entry file of this repository as a Node child process with an
// IPC channel, loading it through tsx as bin/sluice.mjs does, whatever the caller's
// working directory or loader (the CLI, vitest, a bench script).
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export function forkEntry(file: string, args: string[], options: Omit<ForkOptions, 'execArgv'> = {}): ChildProcess {
  return fork(file, args, { ...options, execArgv: ['--import', tsxLoader] });
}
