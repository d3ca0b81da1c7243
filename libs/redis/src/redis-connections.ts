import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { RedisOptions } from 'ioredis';
import { AppConfig, RedisTarget } from '@breakwater/config';
import { isConnectionError } from './connection-error';
import { RedisClient, createRedisClient, isCluster } from './redis-client';
import { redactedUrl } from './redis-url';

const FIRST_CONNECT_WAIT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;
/** How often a cluster that failed a command while its client stayed connected is asked whether it serves again. */
const CLUSTER_PROBE_MS = 1000;

/**
 * The process's Redis connections. The request-path client fails fast (no offline queue, one retry)
 * so that a Redis outage turns into embedded mode instead of hung requests; it reconnects in the
 * background forever, and `available` says whether it is connected right now. A warning is logged once
 * per transition, never per failed command.
 *
 * Embedded mode is decided in one place, `sharedOr`: every lib hands it the shared-store operation and
 * its local fallback, and none of them checks `available` or catches Redis errors itself.
 *
 * The target is one server, a Sentinel-found primary or a Redis Cluster (createRedisClient); `clustered`
 * tells the libs whose scripts span several keys to run them once per slot (slotGroups).
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly listeners = new Set<(available: boolean) => unknown>();
  private up = false;
  private closing = false;
  private probe?: NodeJS.Timeout;
  private readonly opened = new Set<RedisClient>();
  readonly client: RedisClient;
  readonly clustered: boolean;

  constructor(private readonly config: AppConfig) {
    this.client = createRedisClient(config.redis, {
      ...this.baseOptions(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.clustered = isCluster(this.client);
    this.client.on('ready', () => this.transition(true));
    this.client.on('close', () => this.transition(false));
    this.client.on('error', () => (this.clustered ? this.lost() : this.transition(false)));
  }

  /** Where Redis is (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES). */
  get target(): RedisTarget {
    return this.config.redis;
  }

  get available(): boolean {
    return this.up;
  }

  /**
   * Another connection to the same target, with `behaviour` over the base options (a subscriber, BullMQ's
   * connections on a cluster). It is disconnected at shutdown, after the users' own shutdown hooks ran:
   * this module's hooks run last. A user may close it earlier itself.
   */
  open(behaviour: RedisOptions): RedisClient {
    const client = createRedisClient(this.config.redis, { ...this.baseOptions(), ...behaviour });
    this.opened.add(client);
    client.once('end', () => this.opened.delete(client));
    return client;
  }

  /** Options for connections other libs open themselves (BullMQ), with the same reconnect policy. */
  baseOptions(): RedisOptions {
    return {
      connectionName: 'breakwater',
      retryStrategy: (times) => (this.closing ? null : Math.min(times * 100, MAX_RECONNECT_DELAY_MS)),
    };
  }

  /**
   * The one rule of embedded mode. While Redis is available, runs `shared` (on the request-path client)
   * and gives its result; when Redis is not available, or the connection fails under `shared` (ioredis
   * could not send a command or lost its reply: see isConnectionError), gives `local()` instead, so the
   * request is answered by this process as if Redis had been down from the start. Any other error (a
   * command or script the server refused, a bug in `shared`) is thrown: falling back would hide it.
   * `shared` may have done part of its work before the connection failed; `local` runs after it, so it
   * can see that progress through its closure.
   */
  async sharedOr<T>(shared: (client: RedisClient) => Promise<T>, local: () => T | Promise<T>): Promise<T> {
    if (!this.up) return local();
    try {
      return await shared(this.client);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      this.lost();
      return local();
    }
  }

  /**
   * Called with the new state on every transition between connected and not. When a listener returns a
   * promise, its rejection is logged here: no caller is left to answer it.
   */
  onTransition(listener: (available: boolean) => unknown): void {
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
        `Redis at ${describeTarget(this.config.redis)} is unreachable: embedded mode until it answers`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopProbe();
    for (const client of [this.client, ...this.opened]) {
      if (client.status === 'ready') await client.quit().catch(() => undefined);
      client.disconnect();
    }
    this.opened.clear();
  }

  /**
   * A command failed for the connection's sake. One server's client then closes and reconnects by itself,
   * and its events say when it is back: nothing to do here. A cluster client may stay connected while the
   * cluster cannot serve (a primary down, CLUSTERDOWN): every command would wait out ioredis's
   * redirections (seconds), so this process turns to embedded mode at once and asks the cluster every
   * CLUSTER_PROBE_MS until it serves again.
   */
  private lost(): void {
    if (!this.clustered || this.closing) return;
    this.transition(false);
    this.probe ??= setInterval(() => void this.probeCluster(), CLUSTER_PROBE_MS).unref();
  }

  /** Back once the cluster says it is ok and every primary it names answers. */
  private async probeCluster(): Promise<void> {
    const cluster = this.client;
    if (!isCluster(cluster) || cluster.status !== 'ready' || this.closing) return;
    try {
      const info = await cluster.cluster('INFO');
      if (!/^cluster_state:ok\r?$/m.test(info)) return;
      await Promise.all(cluster.nodes('master').map((node) => node.ping()));
    } catch {
      return;
    }
    this.stopProbe();
    this.transition(true);
  }

  private stopProbe(): void {
    clearInterval(this.probe);
    this.probe = undefined;
  }

  private transition(up: boolean): void {
    if (up === this.up || this.closing) return;
    if (up) this.stopProbe();
    this.up = up;
    if (up) this.logger.log('Redis connected: shared mode');
    else this.logger.warn('Redis connection lost: embedded mode until it returns');
    for (const listener of this.listeners) {
      void Promise.resolve(listener(up)).catch((error: unknown) =>
        this.logger.error(`a listener of the Redis ${up ? 'return' : 'loss'} failed: ${describe(error)}`),
      );
    }
  }
}

/** Where Redis is, for a log line, without credentials. */
export function describeTarget(target: RedisTarget): string {
  const list = (nodes: { host: string; port: number }[]): string =>
    nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  if (target.cluster) return `cluster ${list(target.cluster)}`;
  if (target.sentinel) return `sentinel primary ${target.sentinel.name} via ${list(target.sentinel.nodes)}`;
  return redactedUrl(target.url);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
