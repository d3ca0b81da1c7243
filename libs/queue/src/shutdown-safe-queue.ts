import { Queue } from 'bullmq';
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
    if (this.connection.status === 'ready') {
      const client = await this.client;
      if (client.status !== 'ready') client.disconnect();
    }
    await super.close().catch(() => undefined);
  }
}
