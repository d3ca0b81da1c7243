import { EventEmitter } from 'node:events';
import { Queue, Worker } from 'bullmq';
import { quietAfterClose } from './quiet-after-close';

// Port 1 never answers: every connection's start-up is still pending when the queue or worker closes.
const connection = { host: '127.0.0.1', port: 1, retryStrategy: () => 100 };

/** BullMQ's RedisConnection objects inside a Queue or Worker: where a late start-up failure is emitted. */
function connectionsOf(target: object): EventEmitter[] {
  return ['connection', 'blockingConnection']
    .map((name) => (target as Record<string, unknown>)[name])
    .filter((value): value is EventEmitter => value instanceof EventEmitter);
}

const late = () => new Error('connect ECONNREFUSED 127.0.0.1:1');

describe('quietAfterClose', () => {
  it('shows the BullMQ defect: after close() nobody listens, so a late start-up error is thrown', async () => {
    const queue = new Queue('bw-quiet-test', { connection });
    queue.on('error', () => undefined);
    await queue.close().catch(() => undefined);
    expect(() => connectionsOf(queue)[0].emit('error', late())).toThrow('ECONNREFUSED');
  });

  it('drops a late start-up error of a guarded queue and worker closed before they ever connected', async () => {
    const queue = quietAfterClose(new Queue('bw-quiet-test', { connection }));
    const worker = quietAfterClose(
      new Worker('bw-quiet-test', () => Promise.resolve(), { connection, autorun: false }),
    );
    queue.on('error', () => undefined);
    worker.on('error', () => undefined);
    await Promise.all([queue.close().catch(() => undefined), worker.close(true).catch(() => undefined)]);
    const connections = [...connectionsOf(queue), ...connectionsOf(worker)];
    expect(connections).toHaveLength(3);
    for (const emitter of connections) expect(() => emitter.emit('error', late())).not.toThrow();
  });

  it('still hands every error to the listener while the queue is open', async () => {
    const queue = quietAfterClose(new Queue('bw-quiet-test', { connection }));
    const errors: Error[] = [];
    queue.on('error', (error) => errors.push(error));
    connectionsOf(queue)[0].emit('error', late());
    await queue.close().catch(() => undefined);
    expect(errors.map((error) => error.message)).toContain('connect ECONNREFUSED 127.0.0.1:1');
  });
});
