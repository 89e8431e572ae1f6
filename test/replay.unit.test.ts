// Pure parts of the replay: reading an archive object's lines, and which buckets a
// range rebuilds. The whole path runs against the local stack in replay.test.ts.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { archiveLineText, normalizeEvent, readArchiveLine, serializeEvent, type ArchiveEnvelope } from '../core/index.ts';
import { validateConfig } from '../consumers/index.ts';
import { arrivalWindow, keyHourMs, planRebuild, readArchiveObject } from '../replay/index.ts';
import { stringMatching } from './support/matchers.ts';

const envelope = (n: number): ArchiveEnvelope => ({ shardId: 'shardId-000000000003', sequenceNumber: String(1000 + n), subSequenceNumber: n % 4, partitionKey: 'sluice-lane-a', arrival: '2026-11-30T11:00:00.000Z' });
const event = (n: number) => normalizeEvent({ id: `e${n}`, type: 'click', ts: Date.UTC(2026, 10, 28, 14, n % 60), value: n });
const line = (n: number) => archiveLineText(envelope(n), serializeEvent(event(n)).toString());

describe('archive line', () => {
  it('reads back the envelope and event it was written with, and refuses a malformed envelope', () => {
    const parsed = readArchiveLine(JSON.parse(line(7)));

    expect(parsed).toEqual({ kind: 'event', envelope: envelope(7), event: JSON.parse(serializeEvent(event(7)).toString()) as unknown });
    expect(readArchiveLine({ ...envelope(1), sequenceNumber: '12a', event: {} })).toMatch(/sequenceNumber/);
    expect(readArchiveLine({ ...envelope(1), subSequenceNumber: -1, event: {} })).toMatch(/subSequenceNumber/);
    expect(readArchiveLine([1, 2])).toMatch(/not a JSON object/);
    expect(readArchiveLine({ type: 'click', id: 'x', ts: 1 })).toMatchObject({ kind: 'bare-event' });
  });
});

describe('archive object reader', () => {
  it('reads every event of a GZIP object, with its key and line', () => {
    const body = gzipSync(Array.from({ length: 50 }, (_, i) => line(i)).join(''));

    const content = readArchiveObject('2026/11/30/11/a.gz', body);

    expect(content.problems).toEqual([]);
    expect(content.events.map((e) => e.event.id)).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`));
    expect(content.events[9]!.at).toEqual({ key: '2026/11/30/11/a.gz', line: 10 });
  });

  it('keeps the whole lines before the cut of a truncated GZIP and reports the rest lost', () => {
    const full = gzipSync(Array.from({ length: 2000 }, (_, i) => line(i)).join(''));

    const content = readArchiveObject('k.gz', full.subarray(0, Math.floor(full.length * 0.6)));

    expect(content.events.length).toBeGreaterThan(100);
    expect(content.events.length).toBeLessThan(2000);
    expect(content.events.map((e) => e.event.id)).toEqual(Array.from({ length: content.events.length }, (_, i) => `e${i}`));
    expect(content.problems).toEqual([{ key: 'k.gz', line: content.events.length + 1, reason: stringMatching(/^truncated GZIP/) }]);
  });

  it('reports a line that is not JSON and an invalid event by line, counts archiver error lines, and reads the rest', () => {
    const text = [line(1), 'nope{\n', archiveLineText(envelope(2), '{"id":"x","type":"bad type","ts":1}'), '{"sluiceArchiveError":{"reason":"not-json"}}\n', line(3)].join('');

    const content = readArchiveObject('k', Buffer.from(text));

    expect(content.events.map((e) => e.event.id)).toEqual(['e1', 'e3']);
    expect(content.archiveErrorLines).toBe(1);
    expect(content.problems.map((p) => [p.line, p.reason.split(' ')[0]])).toEqual([[2, 'not'], [3, 'invalid']]);
  });

  it('reads the archive lines held in the rawData of Firehose error documents', () => {
    const doc = (lines: string) => JSON.stringify({ attemptsMade: 1, arrivalTimestamp: 1, errorCode: 'X', errorMessage: 'y', rawData: Buffer.from(lines).toString('base64') }) + '\n';
    const body = gzipSync(doc(line(1) + line(2)) + doc(line(3) + 'broken\n'));

    const content = readArchiveObject('errors/processing-failed/2026/11/30/11/x.gz', body);

    expect(content.events.map((e) => [e.event.id, e.at.line, e.at.rawDataLine])).toEqual([['e1', 1, 1], ['e2', 1, 2], ['e3', 2, 1]]);
    expect(content.problems).toEqual([{ key: 'errors/processing-failed/2026/11/30/11/x.gz', line: 2, rawDataLine: 2, reason: stringMatching(/^not JSON/) }]);
  });
});

describe('rebuild plan', () => {
  const config = validateConfig({ rollups: [{ name: 'r', types: '*', windows: [60, 3600] }] });
  const t = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 28, h, m, s);

  it('rebuilds only whole buckets inside the range that ended before the settle boundary', () => {
    const [plan] = planRebuild(config.rollups, t(14, 2, 30), t(16, 10), t(15, 30));

    const [later] = planRebuild(config.rollups, t(14, 0), t(16, 0), t(18, 0));

    expect(plan!.ranges).toEqual([{ windowS: 60, startS: t(14, 3) / 1000, endS: t(15, 30) / 1000 }]);
    expect(plan!.windowsWithoutBuckets).toEqual([3600]);
    expect(later!.ranges).toEqual([{ windowS: 60, startS: t(14, 0) / 1000, endS: t(16, 0) / 1000 }, { windowS: 3600, startS: t(14, 0) / 1000, endS: t(16, 0) / 1000 }]);
  });

  it('reads objects from an hour before the range, to the newest unless a lateness bound is given', () => {
    expect(arrivalWindow(t(14, 20), t(15, 0), undefined)).toEqual({ fromHourMs: t(13, 0), toHourMs: undefined });
    expect(arrivalWindow(t(14, 0), t(15, 0), 7200)).toEqual({ fromHourMs: t(13, 0), toHourMs: t(17, 0) });
    expect(keyHourMs('2026/11/28/14/sluice-archive-1-x.gz')).toBe(t(14, 0));
    expect(keyHourMs('errors/processing-failed/2026/11/28/09/x')).toBe(t(9, 0));
    expect(keyHourMs('notes/readme.txt')).toBeUndefined();
  });
});
