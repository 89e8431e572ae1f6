// The events the local-stack benchmarks send, as `sluice send` reads them: ~140-byte
// NDJSON lines of five types, two dimensions, a small payload, timestamps within the
// last hour; the same seed gives the same file.
import { seededRandom } from '../loadtest/index.ts';

export const BENCH_TYPES = ['bench.page_view', 'bench.click', 'bench.order', 'bench.signup', 'bench.search'] as const;

/** `n` NDJSON lines, newline-terminated; event i has type BENCH_TYPES[i % 5]. */
export function benchEventLines(n: number): string {
  const random = seededRandom(42);
  const countries = ['JP', 'US', 'DE', 'FR', 'BR', 'IN'];
  const devices = ['ios', 'android', 'web'];
  const now = Date.now();
  const lines: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    lines[i] = JSON.stringify({
      type: BENCH_TYPES[i % BENCH_TYPES.length],
      ts: now - Math.floor(random() * 3_600_000),
      dims: { country: countries[Math.floor(random() * countries.length)], device: devices[Math.floor(random() * devices.length)] },
      value: 1 + Math.floor(random() * 100),
      payload: { ref: Math.floor(random() * 36 ** 8).toString(36), n: Math.floor(random() * 1e6) },
    });
  }
  return lines.join('\n') + '\n';
}

/** How many of `n` benchmark events have each type of BENCH_TYPES. */
export function benchCountPerType(n: number): number[] {
  return BENCH_TYPES.map((_, t) => Math.floor(n / BENCH_TYPES.length) + (t < n % BENCH_TYPES.length ? 1 : 0));
}
