import { testConfig } from '@breakwater/testing';
import { ChatCompletion } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { JobEvents } from './job-events';
import { LlmJobData } from './llm-job';
import { LlmJobRunner, RunOutcome } from './llm-job.runner';
import { MemoryJobQueue } from './memory-job-queue';

/** A runner that records the order it is asked and holds each job until released. */
function gatedRunner() {
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const runner = {
    run: (data: LlmJobData): Promise<RunOutcome> => {
      order.push(data.requestId);
      return new Promise((resolve) =>
        gates.push(() => resolve({ kind: 'completed', result: {} as ChatCompletion })),
      );
    },
  };
  return { runner: runner as unknown as LlmJobRunner, order, releaseNext: () => gates.shift()?.() };
}

function job(name: string, priority?: LlmJobData['priority']): LlmJobData {
  return {
    queueId: `q-${name}`,
    requestId: name,
    callerId: 'c',
    request: { model: 'mock/echo', messages: [{ role: 'user', content: name }] },
    fallbackModels: [],
    reason: 'test',
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    ...(priority ? { priority } : {}),
  };
}

describe('MemoryJobQueue', () => {
  it('drains by priority, first in first out within one, and counts positions in that order', async () => {
    const { runner, order, releaseNext } = gatedRunner();
    const events = new JobEvents();
    const changed: string[] = [];
    events.onChanged((id) => changed.push(id));
    const queue = new MemoryJobQueue(testConfig({ WORKER_CONCURRENCY: '1' }), runner, new Metrics(), events);
    await queue.add(job('blocker'));
    for (const [name, priority] of [
      ['low-1', 'low'],
      ['normal-1', undefined],
      ['low-2', 'low'],
      ['high-1', 'high'],
      ['normal-2', 'normal'],
      ['high-2', 'high'],
    ] as const) {
      await queue.add(job(name, priority));
    }
    const position = async (name: string) => (await queue.find(`q-${name}`))?.status.position;
    expect(
      await Promise.all(['high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2'].map(position)),
    ).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await queue.find('q-blocker'))?.status.status).toBe('processing');
    for (let i = 0; i < 7; i++) {
      releaseNext();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(order).toEqual(['blocker', 'high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
    // Each job told its watchers when it started and when it ended.
    expect(changed.filter((id) => id === 'q-high-1')).toHaveLength(2);
    await queue.onApplicationShutdown();
  });
});
