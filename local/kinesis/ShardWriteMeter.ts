// Per-shard write accounting over a one-second window, as Kinesis meters it:
// a record is throttled when it would take the shard past its records or bytes
// per second.

export class ShardWriteMeter {
  private readonly windows = new Map<string, { second: number; records: number; bytes: number }>();

  constructor(private readonly recordsPerSec: number, private readonly bytesPerSec: number) {}

  /** Counts a record of `bytes` against the shard; false (and nothing counted) when over the limit. */
  tryWrite(stream: string, shardId: string, bytes: number, nowMs: number): boolean {
    const key = `${stream}/${shardId}`;
    const second = Math.floor(nowMs / 1000);
    let w = this.windows.get(key);
    if (!w || w.second !== second) {
      w = { second, records: 0, bytes: 0 };
      this.windows.set(key, w);
    }
    if (w.records + 1 > this.recordsPerSec || w.bytes + bytes > this.bytesPerSec) return false;
    w.records++;
    w.bytes += bytes;
    return true;
  }
}
