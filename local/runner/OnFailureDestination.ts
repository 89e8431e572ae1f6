// The on-failure destination: each record (batch metadata, never the data) is written
// as a JSON file in a directory, as an S3 destination stores it, and/or handed to a
// callback.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { OnFailureRecord } from './types.ts';

export class OnFailureDestination {
  private counter = 0;
  constructor(
    private readonly directory: string | undefined,
    private readonly callback: ((record: OnFailureRecord) => void | Promise<void>) | undefined,
  ) {
    if (directory) mkdirSync(directory, { recursive: true });
  }

  async send(record: OnFailureRecord): Promise<void> {
    if (this.directory) {
      const info = record.KinesisBatchInfo;
      const name = `${record.timestamp.replace(/[:.]/g, '-')}-${info.shardId}-${info.startSequenceNumber}-${this.counter++}.json`;
      const tmp = join(this.directory, `.${name}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(record, null, 2) + '\n');
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.directory, name));
    }
    await this.callback?.(record);
  }

  /** The records in a directory written by a destination, oldest first. */
  static read(directory: string): OnFailureRecord[] {
    return readdirSync(directory)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(directory, f), 'utf8')) as OnFailureRecord);
  }
}
