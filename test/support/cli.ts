// Runs the real `sluice` CLI (bin/sluice.mjs) as a child process, the way a user does.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

export const BIN = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs `sluice ...args` to completion. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts a long-running `sluice ...args` and resolves once its stdout shows `marker`. */
export function startCli(args: string[], marker: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`"${marker}" not seen within ${opts.timeoutMs ?? 60_000} ms; output:\n${out}`));
    }, opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice ${args.join(' ')} exited with ${code} before "${marker}"; output:\n${out}`));
    });
  });
}

/**
 * A base port with `count` consecutive free ports above it, below Linux's ephemeral
 * range (32768 and up): a port in that range can be taken by any outgoing connection
 * on the machine between this check and the stack's listen, seconds later.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - count));
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Sends SIGKILL and waits for the process to be gone. */
export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
