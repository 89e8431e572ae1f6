// Realistic events for a load test: several types with their own value meaning
// (latency in ms, price in cents, quantities), Zipf-distributed users as partition
// keys, a few dimensions and a payload padded to the requested size. Values are
// integers so expected sums are exact. Types carry the run id, so a run's rollups
// never mix with earlier data in the same stack.
import type { EventInput } from '../core/index.ts';
import { LoadTestOptionError } from './errors.ts';
import { ZipfSampler } from './ZipfSampler.ts';

/** Event kinds in order of how common they are; `--types K` uses the first K. */
const KINDS: ReadonlyArray<{ name: string; value: (r: () => number) => number }> = [
  { name: 'page_view', value: () => 1 },
  { name: 'api_call', value: (r) => Math.round(Math.exp(3 + r() * 2.5)) /* ms, 20..250 mostly */ },
  { name: 'click', value: () => 1 },
  { name: 'search', value: (r) => Math.floor(r() * 50) /* results */ },
  { name: 'add_to_cart', value: (r) => 1 + Math.floor(r() * 4) /* quantity */ },
  { name: 'purchase', value: (r) => 499 + Math.floor(r() * 20_000) /* cents */ },
  { name: 'signup', value: () => 1 },
  { name: 'error', value: () => 1 },
];
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2', 'sa-east-1'] as const;
const DEVICES = ['web', 'ios', 'android'] as const;
const PATHS = ['/', '/products', '/products/42', '/cart', '/checkout', '/search', '/account'] as const;

export interface GeneratorOptions {
  /** Distinct event types (1..64). */
  types: number;
  /** Distinct partition keys (users). */
  keys: number;
  /** Approximate bytes of each event's JSON payload (0 = no payload). */
  payloadBytes: number;
  /** Zipf exponent of keys and types. */
  zipfExponent: number;
  /** Prefix of every type name, e.g. `lt_k3x9`. */
  typePrefix: string;
  random: () => number;
}

export interface GeneratedEvent {
  event: EventInput & { type: string; value: number };
  partitionKey: string;
}

export const MAX_TYPES = 64;

export class EventGenerator {
  /** Type names this generator emits, hottest first. */
  readonly typeNames: string[];
  private readonly kinds: Array<(typeof KINDS)[number]>;
  private readonly keySampler: ZipfSampler;
  private readonly typeSampler: ZipfSampler;
  private readonly pad: string;

  constructor(private readonly options: GeneratorOptions) {
    if (!Number.isInteger(options.types) || options.types < 1 || options.types > MAX_TYPES) {
      throw new LoadTestOptionError('types', `must be an integer from 1 to ${MAX_TYPES}, got ${options.types}`);
    }
    if (!Number.isInteger(options.payloadBytes) || options.payloadBytes < 0) {
      throw new LoadTestOptionError('payload-bytes', `must be a non-negative integer, got ${options.payloadBytes}`);
    }
    this.kinds = Array.from({ length: options.types }, (_, i) =>
      i < KINDS.length ? KINDS[i]! : { name: `custom_${i + 1}`, value: KINDS[0]!.value },
    );
    this.typeNames = this.kinds.map((k) => `${options.typePrefix}.${k.name}`);
    this.keySampler = new ZipfSampler(options.keys, options.zipfExponent, options.random);
    this.typeSampler = new ZipfSampler(options.types, options.zipfExponent, options.random);
    // The fixed fields of the payload below take about 60 bytes; the pad makes up the rest.
    this.pad = 'x'.repeat(Math.max(0, options.payloadBytes - 60));
  }

  next(): GeneratedEvent {
    const r = this.options.random;
    const t = this.typeSampler.next();
    const kind = this.kinds[t]!;
    const user = `user-${this.keySampler.next()}`;
    const event: GeneratedEvent['event'] = {
      type: this.typeNames[t]!,
      value: kind.value(r),
      dims: { region: pick(REGIONS, r), device: pick(DEVICES, r) },
    };
    if (this.options.payloadBytes > 0) {
      event.payload = { user, session: Math.floor(r() * 0xffffffff).toString(16), path: pick(PATHS, r), pad: this.pad };
    }
    return { event, partitionKey: user };
  }
}

function pick<T>(values: readonly T[], r: () => number): T {
  return values[Math.floor(r() * values.length)]!;
}
