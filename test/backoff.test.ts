import { describe, expect, it } from 'vitest';
import { backoffDelayMs, fnv1a } from '../core/index.ts';

describe('backoffDelayMs', () => {
  const base = { baseMs: 100, maxMs: 5000 };

  it('equal jitter (the producer): half the ceiling fixed, half random, capped', () => {
    const policy = { ...base, jitter: 'equal' } as const;

    expect(backoffDelayMs(policy, 1, () => 0)).toBe(50);
    expect(backoffDelayMs(policy, 1, () => 1)).toBe(100);
    expect(backoffDelayMs(policy, 4, () => 0)).toBe(400);
    expect(backoffDelayMs(policy, 30, () => 1)).toBe(5000);
    expect(backoffDelayMs(policy, 30, () => 0)).toBe(2500);
  });

  it('full jitter (the consumers): anywhere below the ceiling', () => {
    const policy = { ...base, jitter: 'full' } as const;

    expect(backoffDelayMs(policy, 1, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(200);
    expect(backoffDelayMs(policy, 40, () => 0.5)).toBe(2500);
  });

  it('no jitter (the local runner): the ceiling itself, growing from the base', () => {
    const policy = { ...base, jitter: 'none' } as const;

    expect([1, 2, 3, 7, 1000].map((a) => backoffDelayMs(policy, a))).toEqual([100, 200, 400, 5000, 5000]);
  });
});

describe('fnv1a', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});
