// The stream's open shards and their hash key ranges, as ListShards reports them.
// Routing (hash key to shard) is pure; `loadShardMap` is the one I/O call.
import { ListShardsCommand, type KinesisClient, type ListShardsCommandInput } from '@aws-sdk/client-kinesis';
import type { HashKeyRange } from '../core/index.ts';

export class ShardMap {
  private readonly starts: string[];
  private readonly ends: string[];
  private readonly ids: string[];

  /** `ranges`: open shards, sorted by starting hash key, not overlapping. */
  constructor(readonly ranges: readonly HashKeyRange[]) {
    this.starts = ranges.map((r) => r.startingHashKey.toString(16).padStart(32, '0'));
    this.ends = ranges.map((r) => r.endingHashKey.toString(16).padStart(32, '0'));
    this.ids = ranges.map((r) => r.shardId);
  }

  /** The shard id for a hash key (32 hex digits), or undefined when no open shard holds it. */
  shardFor(hashKeyHex: string): string | undefined {
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (hashKeyHex < this.starts[mid]!) hi = mid - 1;
      else if (hashKeyHex > this.ends[mid]!) lo = mid + 1;
      else return this.ids[mid];
    }
    return undefined;
  }

  get shardIds(): string[] {
    return this.ranges.map((r) => r.shardId);
  }

  /** Builds a map from ListShards output, keeping only open shards (no ending sequence number). */
  static fromShards(shards: readonly { ShardId?: string; HashKeyRange?: { StartingHashKey?: string; EndingHashKey?: string }; SequenceNumberRange?: { EndingSequenceNumber?: string } }[]): ShardMap {
    const ranges = shards
      .filter((s) => s.ShardId && s.HashKeyRange?.StartingHashKey && s.HashKeyRange.EndingHashKey && s.SequenceNumberRange?.EndingSequenceNumber === undefined)
      .map((s) => ({ shardId: s.ShardId!, startingHashKey: BigInt(s.HashKeyRange!.StartingHashKey!), endingHashKey: BigInt(s.HashKeyRange!.EndingHashKey!) }))
      .sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : a.startingHashKey > b.startingHashKey ? 1 : 0));
    return new ShardMap(ranges);
  }
}

/** Pages through ListShards for the stream and returns its open shards. */
export async function loadShardMap(client: KinesisClient, stream: { StreamName?: string; StreamARN?: string }, abortSignal?: AbortSignal): Promise<ShardMap> {
  const all: Parameters<typeof ShardMap.fromShards>[0][number][] = [];
  let nextToken: string | undefined;
  do {
    const input: ListShardsCommandInput = nextToken ? { NextToken: nextToken } : { ...stream };
    const out = await client.send(new ListShardsCommand(input), abortSignal ? { abortSignal } : {});
    all.push(...(out.Shards ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return ShardMap.fromShards(all);
}
