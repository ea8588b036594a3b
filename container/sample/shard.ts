/**
 * Sharding: with N shards, every CSV row belongs to exactly one shard,
 * `fnv1a32(shardKey) mod N`, where the shard key is a normalized column value chosen per
 * pipeline so that every aggregate group lives in one shard (orders-daily: customer_id, in
 * both files, which also keeps the order/customer join shard-local; inventory-snapshot:
 * region + sku). Each shard reads the whole files and keeps its own rows: the union of the
 * shards is exactly the batch, and no two shards produce the same output row.
 *
 * Rows whose key cannot be read (wrong field count) belong to shard 0, so each is
 * rejected exactly once. FNV-1a over UTF-8 is stable across processes and languages.
 */
const encoder = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface ShardFilter {
  index: number;
  count: number;
}

export function shardOf(hash: number, count: number): number {
  return hash % count;
}

export function ownsHash(shard: ShardFilter, hash: number): boolean {
  return shardOf(hash, shard.count) === shard.index;
}
