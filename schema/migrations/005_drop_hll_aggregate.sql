-- sluice schema v5: drops the HyperLogLog aggregate of migration 003. Queries merge
-- sketches with the distinct measure's set-based register maximum (rollup/measures/
-- distinct.ts), about 6 times faster than folding sketch by sketch, so nothing calls
-- sluice_hll_agg; a function nobody calls is one more to keep right. The upsert's
-- pairwise sluice_hll_merge (migration 001) stays.
DROP AGGREGATE IF EXISTS sluice_hll_agg(jsonb);
