import { ConnectionOptions } from 'bullmq';
import { RedisConnections, serverOptionsOf } from '@breakwater/redis';

/**
 * BullMQ's key prefix. On a Redis Cluster BullMQ's scripts touch many keys of a queue at once, so they
 * must all hash to one slot: the prefix is a hash tag there. One server or Sentinel keeps BullMQ's
 * default, so the jobs of an existing deployment stay where they are.
 */
export function bullPrefix(clustered: boolean): string {
  return clustered ? '{bull}' : 'bull';
}

/**
 * BullMQ's connection and prefix for the target of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES.
 * Producers fail fast (no offline queue: a Redis outage turns into the local queue at once, never a
 * hung request); workers are patient (BullMQ makes their blocking connection retry forever) and pick up
 * again when Redis returns. BullMQ opens one server's or Sentinel's connections from options itself;
 * a cluster it takes only as a client, opened here and disconnected by RedisConnections at shutdown.
 */
export function bullConnection(
  redis: RedisConnections,
  role: 'producer' | 'worker',
): { connection: ConnectionOptions; prefix: string } {
  const behaviour = {
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
    ...(role === 'producer' ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : {}),
  };
  const prefix = bullPrefix(redis.clustered);
  if (!redis.clustered) return { connection: { ...serverOptionsOf(redis.target), ...behaviour }, prefix };
  // BullMQ duplicates a worker's client for its blocking commands, which must wait without a retry limit.
  const patient = role === 'worker' ? { maxRetriesPerRequest: null } : {};
  return { connection: redis.open({ ...behaviour, ...patient }), prefix };
}
