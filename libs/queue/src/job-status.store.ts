import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Job, Queue } from 'bullmq';
import { ChatCompletion, GatewayError, JobStatus } from '@breakwater/contracts';
import { RedisConnections } from '@breakwater/redis';
import { EXPIRED_REASON, JobView, LlmJobData } from './llm-job';
import { parseError } from './llm-job.processor';
import { LocalQueue } from './local-queue';
import { LLM_PRODUCER } from './queue.constants';

const STATE_TO_STATUS: Record<string, JobStatus> = {
  waiting: 'queued',
  delayed: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  paused: 'queued',
  active: 'processing',
  completed: 'completed',
  failed: 'failed',
};

/**
 * Reads a queued job wherever it lives (this process's local queue first, then BullMQ) as the status
 * and results endpoints show it. A queued job past its expiry is reported `expired` even before a
 * worker gets to it.
 */
@Injectable()
export class JobStatusStore {
  constructor(
    @InjectQueue(LLM_PRODUCER) private readonly queue: Queue<LlmJobData, ChatCompletion>,
    private readonly local: LocalQueue,
    private readonly redis: RedisConnections,
  ) {}

  async find(queueId: string): Promise<JobView | undefined> {
    const local = this.local.view(queueId);
    if (local) return local;
    return this.redis.sharedOr(
      async () => {
        const job = await Job.fromId<LlmJobData, ChatCompletion>(this.queue, queueId);
        if (!job) return undefined;
        return this.viewOf(job, await job.getState());
      },
      // Not here, and where it would be cannot be asked: neither "not found" nor an answer.
      () => {
        throw new GatewayError('STORE_UNAVAILABLE', 'the queue store (Redis) is unreachable: retry shortly', {
          retryAfterSeconds: 5,
        });
      },
    );
  }

  private async viewOf(job: Job<LlmJobData, ChatCompletion>, state: string): Promise<JobView> {
    const data = job.data;
    let status: JobStatus = STATE_TO_STATUS[state] ?? 'queued';
    let error: { code: string; message: string } | undefined;
    if (status === 'failed') {
      const reason = job.failedReason ?? '';
      status = reason.startsWith(EXPIRED_REASON) ? 'expired' : 'failed';
      error = parseError(reason);
    } else if (status === 'queued' && Date.now() >= data.expiresAt) {
      status = 'expired';
    } else if (status === 'queued' && job.failedReason) {
      error = parseError(job.failedReason);
    }
    const updated = Math.max(job.timestamp, job.processedOn ?? 0, job.finishedOn ?? 0);
    const position = status === 'queued' ? await this.positionOf(job, state) : undefined;
    return {
      callerId: data.callerId,
      result: status === 'completed' ? job.returnvalue : undefined,
      status: {
        queue_id: data.queueId,
        status,
        attempts: job.attemptsMade,
        created_at: new Date(data.createdAt).toISOString(),
        updated_at: new Date(updated).toISOString(),
        expires_at: new Date(data.expiresAt).toISOString(),
        ...(position !== undefined ? { position } : {}),
        ...(error ? { error } : {}),
      },
    };
  }

  /**
   * Jobs ahead of this one. BullMQ pushes new jobs on the left of the wait list and workers take from
   * the right, so the jobs ahead of a waiting job are those to its right; delayed jobs come after
   * every waiting one, in the order they become due.
   */
  private async positionOf(job: Job<LlmJobData, ChatCompletion>, state: string): Promise<number | undefined> {
    const client = await this.queue.client;
    const id = job.id ?? '';
    if (state === 'waiting') {
      const [index, length] = await Promise.all([
        client.lpos(this.queue.keys.wait, id),
        client.llen(this.queue.keys.wait),
      ]);
      return index === null ? undefined : length - 1 - index;
    }
    if (state === 'delayed') {
      const [delayed, waiting] = await Promise.all([
        client.zrange(this.queue.keys.delayed, 0, -1),
        client.llen(this.queue.keys.wait),
      ]);
      const rank = delayed.indexOf(id);
      return rank === -1 ? undefined : waiting + rank;
    }
    return undefined;
  }
}
