import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, RedisOptions } from 'ioredis';
import { ConfigError, RedisTarget } from '@breakwater/config';
import { redisOptionsOf } from './redis-url';

/** A connection to Redis, whichever its target: one server or a Sentinel-found primary (Redis), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * A new client for `target` with `behaviour` (retries, offline queue, lazy connect, name), the one place a
 * connection is opened, so every connection of the process reaches the same Redis with the same credentials.
 * - One server: REDIS_URL as it is.
 * - Sentinel: the primary the sentinels name, with REDIS_URL's credentials, database and TLS; ioredis asks
 *   the sentinels again after a failover (and listens for the switch), so the client follows the new primary.
 * - Cluster: the seed nodes; `behaviour` and REDIS_URL's credentials and TLS apply to each node, the retry
 *   strategy to the cluster as a whole. A cluster has database 0 only.
 */
export function createRedisClient(target: RedisTarget, behaviour: RedisOptions): RedisClient {
  if (!target.cluster) return new Redis({ ...serverOptionsOf(target), ...behaviour });
  const { db, ...credentials } = credentialsOf(target.url);
  if (db !== 0) {
    throw new ConfigError(
      `REDIS_URL names database ${db} with REDIS_CLUSTER_NODES: a Redis Cluster has only database 0, remove the /${db}`,
    );
  }
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...node } = behaviour;
  return new Cluster(target.cluster, {
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    redisOptions: { ...credentials, ...node },
  });
}

/**
 * The connection options of one server or of a Sentinel-found primary, for libraries that open their
 * connections from options (BullMQ); a cluster has none (createRedisClient).
 */
export function serverOptionsOf(target: RedisTarget): RedisOptions {
  if (!target.sentinel) return redisOptionsOf(target.url);
  const credentials = credentialsOf(target.url);
  return {
    ...credentials,
    ...(credentials.tls ? { enableTLSForSentinelMode: true } : {}),
    sentinels: target.sentinel.nodes,
    name: target.sentinel.name,
    failoverDetector: true,
  };
}

/** REDIS_URL without its host and port: what a Sentinel-found primary or a cluster's nodes are reached with. */
function credentialsOf(url: string): RedisOptions {
  const options = redisOptionsOf(url);
  delete options.host;
  delete options.port;
  return options;
}

/**
 * The indexes of `keys` grouped by the cluster slot each hashes to, in first-seen order: a multi-key
 * command or script may only touch one slot of a cluster, so it runs once per group. Off a cluster
 * every key is in one group. Keys meant to share a slot share a hash tag (`{...}`).
 */
export function slotGroups(keys: readonly string[], clustered: boolean): number[][] {
  if (!clustered) return [keys.map((_key, index) => index)];
  const groups = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = calculateSlot(key);
    const group = groups.get(slot);
    if (group) group.push(index);
    else groups.set(slot, [index]);
  });
  return [...groups.values()];
}

/** Whether `client` is a Redis Cluster connection. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
