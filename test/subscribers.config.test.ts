// The "subscribers" list of sluice.config.json: a mistake fails at load naming the
// field, and the registry fills each subscriber's settings and paths.
import { describe, expect, it } from 'vitest';
import { AGGREGATOR_MAPPING, SUBSCRIBER_MAPPING } from '../core/index.ts';
import { registeredSubscribers, validateConfig } from '../consumers/index.ts';

describe('subscribers in the configuration', () => {
  it.each([
    [{ name: 'Hook', handler: './h.ts' }, /subscribers\[0\]\.name: must be 1 to 40 lower-case/],
    [{ name: 'aggregator', handler: './h.ts' }, /subscribers\[0\]\.name: "aggregator" is taken/],
    [{ name: 'hook', handler: './h.txt' }, /subscribers\[0\]\.handler: must be the path of a \.ts or \.js entry file/],
    [{ name: 'hook', handler: './h.ts', batchSize: 0 }, /subscribers\[0\]\.batchSize: must be a whole number from 1 to 10000/],
    [{ name: 'hook', handler: './h.ts', parallelizationFactor: 11 }, /subscribers\[0\]\.parallelizationFactor/],
    [{ name: 'hook', handler: './h.ts', maximumRecordAgeInSeconds: 30 }, /subscribers\[0\]\.maximumRecordAgeInSeconds/],
    [{ name: 'hook', handler: './h.ts', types: ['ok', 'not a type'] }, /subscribers\[0\]\.types\[1\]: is not an event type/],
    [{ name: 'hook', handler: './h.ts', batchsize: 10 }, /subscribers\[0\]\.batchsize: is not a subscriber setting/],
    [{ name: 'hook', handler: './h.ts', environment: { URL: 5 } }, /subscribers\[0\]\.environment\.URL/],
  ])('refuses %o', (entry, message) => {
    expect(() => validateConfig({ subscribers: [entry] })).toThrowError(message);
  });

  it('refuses two subscribers of one name', () => {
    expect(() => validateConfig({ subscribers: [{ name: 'a', handler: './a.ts' }, { name: 'a', handler: './b.ts' }] })).toThrowError(/subscribers\[1\]\.name: "a" is taken/);
  });

  it('registers the built-in consumers first, then each subscriber with its settings over the defaults', () => {
    const config = validateConfig({ subscribers: [{ name: 'hook', handler: './subs/hook.ts', batchSize: 10, types: ['purchase'], enhancedFanOut: true }] });

    const all = registeredSubscribers(config, '/srv/app');

    expect(all.map((s) => [s.name, s.functionName, s.builtIn])).toEqual([
      ['aggregator', 'sluice-aggregator', true], ['archiver', 'sluice-archiver', true], ['hook', 'sluice-hook', false],
    ]);
    expect(all[0]!.mapping).toEqual(AGGREGATOR_MAPPING);
    expect(all[0]!.entry).toMatch(/consumers\/aggregator\/lambda\.ts$/);
    expect(all[2]).toMatchObject({ entry: '/srv/app/subs/hook.ts', mapping: { ...SUBSCRIBER_MAPPING, batchSize: 10 }, types: ['purchase'], enhancedFanOut: true, uses: ['database'] });
  });

  it('has no subscribers by default', () => {
    expect(validateConfig({}).subscribers).toEqual([]);
    expect(registeredSubscribers(validateConfig({})).map((s) => s.name)).toEqual(['aggregator', 'archiver']);
  });
});
