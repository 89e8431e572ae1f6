-- sluice schema v3: the HyperLogLog merge as an aggregate, so a query merging many
-- rollup rows (re-bucketing, merging over dimensions) calls the same merge the
-- upsert's ON CONFLICT does (sluice_hll_merge, migration 001) instead of its own.
CREATE OR REPLACE AGGREGATE sluice_hll_agg(jsonb) (
  SFUNC = sluice_hll_merge,
  STYPE = jsonb
);
