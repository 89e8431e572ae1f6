// The record format sluice's own writers choose: compressed unless told kpl, and a
// wrong value refused by name rather than silently taken as either.
import { describe, expect, it } from 'vitest';
import { COMPRESSED_RECORD_LEVEL, ProducerConfigError, compressionFor, recordFormatFromEnv } from '../producers/index.ts';

describe('record format of sluice writers', () => {
  it('is compressed by default and KPL with SLUICE_RECORD_FORMAT=kpl', () => {
    expect(recordFormatFromEnv({})).toBe('compressed');
    expect(recordFormatFromEnv({ SLUICE_RECORD_FORMAT: 'kpl' })).toBe('kpl');
    expect(compressionFor('compressed')).toEqual({ level: COMPRESSED_RECORD_LEVEL });
    expect(compressionFor('kpl')).toBe(false);
  });

  it('refuses any other value, naming the variable', () => {
    expect(() => recordFormatFromEnv({ SLUICE_RECORD_FORMAT: 'gzip' })).toThrow(ProducerConfigError);
    expect(() => recordFormatFromEnv({ SLUICE_RECORD_FORMAT: 'gzip' })).toThrow(/SLUICE_RECORD_FORMAT must be compressed or kpl/);
  });
});
