import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis, RedisOptions } from 'ioredis';
import { AppConfig } from '@breakwater/config';
import { redactedUrl, redisOptionsOf } from './redis-url';

const FIRST_CONNECT_WAIT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * The process's Redis connections. The request-path client fails fast (no offline queue, one retry)
 * so that a Redis outage turns into embedded mode instead of hung requests; it reconnects in the
 * background forever, and `available` says whether it is connected right now. A warning is logged once
 * per transition, never per failed command.
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly listeners = new Set<(available: boolean) => void>();
  private up = false;
  private closing = false;
  readonly client: Redis;

  constructor(private readonly config: AppConfig) {
    this.client = new Redis({
      ...redisOptionsOf(config.redis.url),
      ...this.baseOptions(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.client.on('ready', () => this.transition(true));
    this.client.on('close', () => this.transition(false));
    this.client.on('error', () => this.transition(false));
  }

  get available(): boolean {
    return this.up;
  }

  /** Options for connections other libs open themselves (BullMQ), with the same reconnect policy. */
  baseOptions(): RedisOptions {
    return {
      connectionName: 'breakwater',
      retryStrategy: (times) => (this.closing ? null : Math.min(times * 100, MAX_RECONNECT_DELAY_MS)),
    };
  }

  /** Called with the new state on every transition between connected and not. */
  onTransition(listener: (available: boolean) => void): void {
    this.listeners.add(listener);
  }

  async onModuleInit(): Promise<void> {
    const settled = new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.client.off('ready', done).off('error', done);
        resolve();
      };
      const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS);
      this.client.once('ready', done).once('error', done);
    });
    this.client.connect().catch(() => undefined);
    await settled;
    if (!this.up) {
      this.logger.warn(
        `Redis at ${redactedUrl(this.config.redis.url)} is unreachable: embedded mode until it answers`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.client.status === 'ready') await this.client.quit().catch(() => undefined);
    this.client.disconnect();
  }

  private transition(up: boolean): void {
    if (up === this.up || this.closing) return;
    this.up = up;
    if (up) this.logger.log('Redis connected: shared mode');
    else this.logger.warn('Redis connection lost: embedded mode until it returns');
    for (const listener of this.listeners) listener(up);
  }
}
