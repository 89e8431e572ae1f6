import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS, EventValidationError, deserializeEvent, normalizeEvent, parseEvent, serializeEvent,
} from '../core/index.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof EventValidationError) return err.field;
    throw err;
  }
  return undefined;
}

describe('normalizeEvent', () => {
  it('fills id, ts and value for a minimal event', () => {
    const now = Date.UTC(2026, 10, 28, 14, 0, 0);
    const ev = normalizeEvent({ type: 'page_view' }, now);
    expect(ev).toMatchObject({ type: 'page_view', ts: now, value: 1 });
    expect(ev.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('issues ids that sort by creation time and never repeat', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => normalizeEvent({ type: 't' }, 1_800_000_000_000 + i).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps what the client set and reads ISO-8601 timestamps', () => {
    const ev = normalizeEvent({ id: 'evt-1', type: 'order', ts: '2026-11-28T14:00:01.500Z', dims: { country: 'JP' }, value: 12.5, payload: { sku: 'A' } });
    expect(ev).toEqual({ id: 'evt-1', idOrigin: 'client', type: 'order', ts: Date.UTC(2026, 10, 28, 14, 0, 1, 500), dims: { country: 'JP' }, value: 12.5, payload: { sku: 'A' } });
  });

  it.each([
    ['not an object', 'x', 'event'],
    ['array', [], 'event'],
    ['missing type', { value: 1 }, 'type'],
    ['empty type', { type: '' }, 'type'],
    ['long type', { type: 'a'.repeat(EVENT_LIMITS.maxTypeChars + 1) }, 'type'],
    ['type with spaces', { type: 'page view' }, 'type'],
    ['ts as a date without zone', { type: 't', ts: '2026-11-28 14:00' }, 'ts'],
    ['ts fractional epoch', { type: 't', ts: 1.5 }, 'ts'],
    ['ts far in the past', { type: 't', ts: 0 }, 'ts'],
    ['value NaN-like string', { type: 't', value: '3' }, 'value'],
    ['value infinite', { type: 't', value: Infinity }, 'value'],
    ['dims not an object', { type: 't', dims: ['a'] }, 'dims'],
    ['dim name with capitals', { type: 't', dims: { Country: 'JP' } }, 'dims.Country'],
    ['dim name as SQL', { type: 't', dims: { 'a;drop table x': 'JP' } }, 'dims.a;drop table x'],
    ['dim value number', { type: 't', dims: { country: 1 } }, 'dims.country'],
    ['dim value too long', { type: 't', dims: { country: 'x'.repeat(EVENT_LIMITS.maxDimValueChars + 1) } }, 'dims.country'],
    ['too many dims', { type: 't', dims: Object.fromEntries(Array.from({ length: EVENT_LIMITS.maxDims + 1 }, (_, i) => [`d${i}`, 'v'])) }, 'dims'],
    ['empty id', { type: 't', id: '' }, 'id'],
  ])('rejects %s naming the field', (_name, input, field) => {
    expect(fieldOf(() => normalizeEvent(input))).toBe(field);
  });

  it('rejects an event whose serialized size is over the limit', () => {
    const ev = normalizeEvent({ type: 't', payload: 'x'.repeat(EVENT_LIMITS.maxEventBytes) });
    expect(fieldOf(() => serializeEvent(ev))).toBe('event');
  });
});

describe('parseEvent (stream side)', () => {
  it('round-trips a normalized event through its bytes', () => {
    const ev = normalizeEvent({ type: 'order', dims: { country: 'DE' }, value: 3, payload: { a: [1, 2] } });
    expect(deserializeEvent(serializeEvent(ev))).toEqual(ev);
  });

  it('requires the id and ts a producer always sets', () => {
    expect(fieldOf(() => parseEvent({ type: 't', ts: 1_800_000_000_000 }))).toBe('id');
    expect(fieldOf(() => parseEvent({ type: 't', id: 'a' }))).toBe('ts');
  });

  it('says on the wire whose id an event carries: the producer\'s own, or a client\'s (also when unsaid)', () => {
    const generated = serializeEvent(normalizeEvent({ type: 't' }, 1_800_000_000_000)).toString();
    const supplied = serializeEvent(normalizeEvent({ id: 'order-7', type: 't', idOrigin: 'producer' }, 1_800_000_000_000)).toString();

    expect(generated).toMatch(/^\{"id":"[0-9a-f-]{36}","idOrigin":"producer","type":"t",/);
    expect(supplied).toMatch(/^\{"id":"order-7","idOrigin":"client","type":"t",/);
    expect(parseEvent({ id: 'a', type: 't', ts: 1_800_000_000_000 }).idOrigin).toBe('client');
    expect(parseEvent(JSON.parse(generated)).idOrigin).toBe('producer');
    expect(fieldOf(() => parseEvent({ id: 'a', idOrigin: 'derived', type: 't', ts: 1_800_000_000_000 }))).toBe('idOrigin');
  });

  it('reports bytes that are not JSON as a validation error', () => {
    expect(fieldOf(() => deserializeEvent(Buffer.from('{"type":')))).toBe('event');
  });
});
