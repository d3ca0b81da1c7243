import { EventEmitter } from 'node:events';

/**
 * BullMQ 5 (taskforcesh/bullmq#3546): a RedisConnection whose start-up is still pending when close()
 * runs emits that start-up's failure after close() has removed every listener, an unhandled 'error' that
 * crashes the process (or fails whichever test is running). This drops an 'error' that nobody listens to
 * any more on the connections of `target` (a Queue or a Worker). While they are open, the target's own
 * 'error' listener gets every error as before.
 */
export function quietAfterClose<T extends object>(target: T): T {
  for (const name of ['connection', 'blockingConnection']) {
    const connection = (target as Record<string, unknown>)[name];
    if (!(connection instanceof EventEmitter)) continue;
    const emit = connection.emit.bind(connection);
    connection.emit = (event: string | symbol, ...args: unknown[]): boolean =>
      event === 'error' && connection.listenerCount('error') === 0 ? false : emit(event, ...args);
  }
  return target;
}
