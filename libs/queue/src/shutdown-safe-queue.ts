import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { quietAfterClose } from './quiet-after-close';

/**
 * The Queue class @nestjs/bullmq builds (installed with `BullModule.queueClass`). BullMQ's close()
 * sends QUIT, which a producer connection (fail fast, no offline queue) rejects while Redis is away, and
 * that rejection escapes a Nest shutdown unhandled. A queue whose client is not connected right now is
 * disconnected instead: nothing is in flight on it, and it leaves no reconnect loop behind.
 *
 * A queue created while Redis is down waits for its first connection before any command, so callers
 * check `RedisConnections.available` before `add()`.
 */
export class ShutdownSafeQueue extends Queue {
  constructor(...args: ConstructorParameters<typeof Queue>) {
    super(...args);
    // An unhandled 'error' event would crash the process; RedisConnections already reports outages.
    this.on('error', () => undefined);
    quietAfterClose(this);
  }

  override async close(): Promise<void> {
    const client = this.connection.status === 'ready' ? await this.client : undefined;
    if (client && client.status !== 'ready') client.disconnect();
    await super.close().catch(() => undefined);
    // Behind Sentinel, QUIT leaves ioredis's failover-detector subscriptions open (redis/ioredis#1362,
    // fixed by #2198 in no release yet), and the process with them; disconnecting the quit client ends them.
    // A cluster's client is shared by the producers' queues, and RedisConnections closes it.
    if (client && !(this.opts.connection instanceof Cluster)) client.disconnect();
  }
}
