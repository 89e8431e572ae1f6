// Starts a TypeScript entry file of this repository in a worker thread. Module hooks
// registered in the main thread do not reach worker threads on Node 20, so the worker
// registers tsx itself, as bin/sluice.mjs does, before it imports the entry.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const tsxApi = import.meta.resolve('tsx/esm/api');

export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
