// The stream's open shards and their hash key ranges, as ListShards reports them.
// Routing (hash key to shard) is pure; `loadShardMap` is the one I/O call.
import { ListShardsCommand, type KinesisClient, type ListShardsCommandInput } from '@aws-sdk/client-kinesis';
import { shardForHash, type HashKeyRange } from '../core/index.ts';

export class ShardMap {
  /** `ranges`: open shards, sorted by starting hash key. */
  constructor(readonly ranges: readonly HashKeyRange[]) {}

  /** The shard id for a 128-bit hash key, or undefined when no open shard holds it. */
  shardFor(hashKey: bigint): string | undefined {
    return shardForHash(this.ranges, hashKey)?.shardId;
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
