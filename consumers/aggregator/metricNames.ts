// The aggregator's EMF metric names and namespace, named once: the handler publishes
// them and the CDK app alarms on them.

export const AGGREGATOR_METRICS = {
  eventsIn: 'EventsIn',
  eventsApplied: 'EventsApplied',
  eventsDuplicate: 'EventsDuplicate',
  eventsQuarantined: 'EventsQuarantined',
  recordsAlreadyApplied: 'RecordsAlreadyApplied',
  recordsDuplicate: 'RecordsDuplicate',
  rollupRowsWritten: 'RollupRowsWritten',
  dataApiCalls: 'DataApiCalls',
  dataApiLatency: 'DataApiLatency',
  eventsPerStatement: 'EventsPerStatement',
  batchLag: 'BatchLag',
  batchesFailed: 'BatchesFailed',
} as const;

/** CloudWatch namespace of sluice's Powertools metrics; Powertools adds a `service` dimension. */
export const METRICS_NAMESPACE = 'sluice';
