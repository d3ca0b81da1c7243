import { RedisOptions } from 'ioredis';
import { redisOptionsOf } from '@breakwater/redis';

/**
 * ioredis options for BullMQ from REDIS_URL. Producers fail fast (no offline queue: a Redis outage
 * turns into the local queue at once, never a hung request); workers are patient (BullMQ makes their
 * blocking connection retry forever) and pick up again when Redis returns.
 */
export function bullConnection(url: string, role: 'producer' | 'worker'): RedisOptions {
  const options: RedisOptions = {
    ...redisOptionsOf(url),
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return role === 'producer' ? { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 1 } : options;
}
