// The price table cost estimates use: AWS list prices for us-east-1, on-demand, no
// free tier, as published on the services' pricing pages on the date below. Prices
// change; update the table (and its date) rather than the code that reads it.

export const PRICES = {
  region: 'us-east-1',
  asOf: '2026-11-30',
  currency: 'USD',
  kinesis: {
    /** Provisioned mode: per shard-hour, and per million PUT payload units (25 KB each). */
    shardHour: 0.015,
    putPayloadUnitsPerMillion: 0.014,
    /** On-demand mode: per stream-hour, per GB written and per GB read. */
    onDemandStreamHour: 0.04,
    onDemandIngestPerGb: 0.08,
    onDemandRetrievalPerGb: 0.04,
  },
  lambda: {
    requestsPerMillion: 0.2,
    /** arm64, per GB-second. */
    gbSecond: 0.0000133334,
  },
  dataApi: {
    /** Per million requests (the first billion a month). */
    requestsPerMillion: 0.35,
  },
  aurora: {
    /** Aurora Serverless v2, per ACU-hour (Aurora Standard). */
    acuHour: 0.12,
  },
  firehose: {
    /** Direct PUT ingestion, per GB (first 500 TB a month; records billed in 5 KB increments). */
    ingestPerGb: 0.029,
  },
} as const;

export type PriceTable = typeof PRICES;
