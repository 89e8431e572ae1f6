// The table names the migrations create, named once for the code that reads and
// writes them (a schema test checks the migrations create exactly these).

export const TABLES = {
  migrations: 'sluice_migrations',
  rollups: 'sluice_rollups',
  checkpoints: 'sluice_checkpoints',
  eventIds: 'sluice_event_ids',
  recordIds: 'sluice_record_ids',
  quarantine: 'sluice_quarantine',
} as const;
