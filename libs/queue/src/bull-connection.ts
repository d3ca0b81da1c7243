import { RedisOptions } from 'ioredis';

/**
 * ioredis options for BullMQ from REDIS_URL. Producers fail fast (no offline queue: a Redis outage
 * turns into the local queue at once, never a hung request); workers are patient (BullMQ makes their
 * blocking connection retry forever) and pick up again when Redis returns.
 */
export function bullConnection(url: string, role: 'producer' | 'worker'): RedisOptions {
  const parsed = new URL(url);
  const options: RedisOptions = {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return role === 'producer' ? { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 1 } : options;
}
