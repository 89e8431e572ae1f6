// Which archive objects can hold the events of a time range. Objects are keyed by the
// UTC hour of their oldest record's *arrival* (Firehose's prefix), while rollups
// bucket by the event's `ts`: an event arrives after its ts, sometimes long after
// (a producer's buffer, a backlog, a client's clock). So reading starts one hour
// before the range (an object's records arrive within the buffer interval, at most
// 15 minutes, of its oldest) and runs to the newest object unless a lateness bound
// is given.
import { ARCHIVE_LAYOUT } from '../core/index.ts';
import type { ArchiveSource } from './ArchiveSource.ts';
import { isErrorObjectKey } from './ArchiveObjectReader.ts';

const HOUR_MS = 3_600_000;
const KEY_HOUR = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+$/;

/** The arrival hour (epoch ms of its start) a key is filed under, or undefined for a key outside the layout. */
export function keyHourMs(key: string): number | undefined {
  const m = KEY_HOUR.exec(key);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) : undefined;
}

function hourPrefix(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}/`;
}

export interface ArrivalWindow {
  /** First arrival hour read (epoch ms, hour-aligned). */
  fromHourMs: number;
  /** Last arrival hour read, inclusive; undefined: to the newest object. */
  toHourMs: number | undefined;
}

export function arrivalWindow(fromMs: number, toMs: number, maxLatenessSeconds: number | undefined): ArrivalWindow {
  const fromHourMs = Math.floor((fromMs - HOUR_MS) / HOUR_MS) * HOUR_MS;
  const toHourMs = maxLatenessSeconds === undefined ? undefined : Math.floor((toMs + maxLatenessSeconds * 1000) / HOUR_MS) * HOUR_MS;
  return { fromHourMs, toHourMs };
}

/** Keys of data objects, then of error objects (records Firehose could not deliver), within the window. */
export async function archiveKeys(source: ArchiveSource, window: ArrivalWindow): Promise<string[]> {
  const inWindow = (key: string) => {
    const h = keyHourMs(key);
    return h !== undefined && h >= window.fromHourMs && (window.toHourMs === undefined || h <= window.toHourMs);
  };
  const keys: string[] = [];
  // Data keys start with the year, so they sort before `errors/`; a key of the first hour sorts just after its hour prefix.
  for await (const key of source.list('', hourPrefix(window.fromHourMs))) {
    if (isErrorObjectKey(key)) break;
    const h = keyHourMs(key);
    if (h !== undefined && window.toHourMs !== undefined && h > window.toHourMs) break;
    if (inWindow(key)) keys.push(key);
  }
  for await (const key of source.list(ARCHIVE_LAYOUT.errorKeyStart)) if (inWindow(key)) keys.push(key);
  return keys;
}
