import { Queue } from 'bullmq';
import { testConfig } from '@breakwater/testing';
import { BullJobQueue } from './bull-job-queue';
import { LlmJobData, LlmJobResult } from './llm-job';

const SENTINEL = { REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'mymaster' };

const job: LlmJobData = {
  queueId: 'q-1',
  requestId: 'r-1',
  callerId: 'c',
  request: { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] },
  fallbackModels: [],
  reason: 'test',
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
};

/** BullMQ's queue as far as store() uses it: the commands it sends, in order, on the queue's one client. */
function recordingQueue() {
  const commands: string[] = [];
  const client = {
    wait: (replicas: number, timeoutMs: number) => {
      commands.push(`WAIT ${replicas} ${timeoutMs}`);
      return Promise.resolve(1);
    },
    role: () => {
      commands.push('ROLE');
      return Promise.resolve(['master', 0, [['127.0.0.1', '6380', '0']]]);
    },
  };
  const queue = {
    add: (_name: string, data: LlmJobData) => {
      commands.push(`add ${data.queueId}`);
      return Promise.resolve({});
    },
    client: Promise.resolve(client),
  };
  return { queue: queue as unknown as Queue<LlmJobData, LlmJobResult>, commands };
}

describe('BullJobQueue.store', () => {
  it('behind Sentinel, waits for a replica on the queue client after adding the job', async () => {
    const { queue, commands } = recordingQueue();
    await new BullJobQueue(queue, testConfig(SENTINEL)).store(job);
    expect(commands).toEqual(['add q-1', 'WAIT 1 500']);
  });

  it('on one server, adds the job and waits for nothing', async () => {
    const { queue, commands } = recordingQueue();
    await new BullJobQueue(queue, testConfig({ REDIS_URL: 'redis://127.0.0.1:6390' })).store(job);
    expect(commands).toEqual(['add q-1']);
  });
});
