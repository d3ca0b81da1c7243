import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Job, JobsOptions, Queue } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { JobStatus } from '@breakwater/contracts';
import { JobQueue } from './job-queue';
import { EXPIRED_REASON, JobView, LlmJobData, LlmJobResult, heldOf } from './llm-job';
import { parseError } from './llm-job.processor';
import { QueueCapacity } from './queue-capacity';
import { BULL_PRIORITY, LLM_JOB, LLM_PRODUCER, llmJobOptions } from './queue.constants';
import { ReplicaAcknowledgement } from './replica-acknowledgement';

/**
 * How long a count of the queue's depth stands in for a new one while the queue is roomy (under half its
 * high watermark): the count plus what this process added since. It saves a round trip per 202; other
 * replicas' additions within this time go uncounted, which half the high watermark leaves room for.
 */
const DEPTH_REUSE_MS = 100;

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
 * The durable job queue: BullMQ on the producers' fail-fast connection. Every call needs Redis; the
 * callers reach it through `RedisConnections.sharedOr`, which turns an outage into the memory queue
 * (new work) or STORE_UNAVAILABLE (reads). A queued job past its expiry reads `expired` even before a
 * worker gets to it. Behind Sentinel a job counts as stored once a replica holds it too
 * (ReplicaAcknowledgement), so the failover that promotes that replica keeps it.
 */
@Injectable()
export class BullJobQueue extends JobQueue {
  readonly durable = true;
  private readonly capacity: QueueCapacity;
  private readonly options: JobsOptions;
  private counted?: { depth: number; at: number };
  /**
   * Behind Sentinel only: one server has no replica to promote, and a Redis Cluster is left as it was (a
   * job's WAIT would have to reach the shard that holds it, not the node a cluster client picks).
   */
  private readonly replicas?: ReplicaAcknowledgement;

  constructor(
    @InjectQueue(LLM_PRODUCER) private readonly queue: Queue<LlmJobData, LlmJobResult>,
    config: AppConfig,
  ) {
    super();
    const { maxSize, highWatermark, lowWatermark } = config.queue;
    this.capacity = new QueueCapacity(maxSize, highWatermark, lowWatermark);
    this.options = llmJobOptions(config);
    // BullMQ adds a job on the queue's own client: the connection whose writes WAIT must cover.
    if (config.redis.sentinel) this.replicas = new ReplicaAcknowledgement(() => this.queue.client);
  }

  async add(data: LlmJobData): Promise<boolean> {
    if (!this.capacity.admits(await this.depthForAdmission())) return false;
    await this.store(data);
    if (this.counted) this.counted.depth++;
    return true;
  }

  /** The depth a new job is judged by: a fresh count, or a recent one while the queue is roomy. */
  private async depthForAdmission(): Promise<number> {
    const now = Date.now();
    const counted = this.counted;
    if (counted && now - counted.at < DEPTH_REUSE_MS && this.capacity.roomy(counted.depth))
      return counted.depth;
    const depth = await this.depth();
    this.counted = { depth, at: now };
    return depth;
  }

  /** Stores a job whatever the depth: for jobs already accepted elsewhere (the memory queue's hand-over). */
  async store(data: LlmJobData): Promise<void> {
    await this.queue.add(LLM_JOB, data, {
      ...this.options,
      jobId: data.queueId,
      priority: BULL_PRIORITY[data.priority ?? 'normal'],
    });
    await this.replicas?.acknowledged();
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'paused');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /** Jobs per BullMQ state, for the queue gauges. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  }

  /**
   * The wait list is first in, first out (jobs pushed on the left, taken from the right), so its oldest
   * job is its rightmost; of the prioritized jobs, the one a worker takes next. A few reads whatever the
   * depth, since this runs every few seconds in every process.
   */
  async oldestWaitingSince(): Promise<number | undefined> {
    const client = await this.queue.client;
    const [waiting, prioritized] = await Promise.all([
      client.lrange(this.queue.keys.wait, -1, -1),
      client.zrange(this.queue.keys.prioritized, 0, 0),
    ]);
    const ids = [...waiting, ...prioritized];
    const stamps = await Promise.all(ids.map((id) => client.hget(this.queue.toKey(id), 'timestamp')));
    const times = stamps.filter((stamp): stamp is string => stamp !== null).map(Number);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  async find(queueId: string): Promise<JobView | undefined> {
    const job = await Job.fromId<LlmJobData, LlmJobResult>(this.queue, queueId);
    if (!job) return undefined;
    const state = await job.getState();
    // The job can finish between reading it and reading its state: its result is then in a newer read.
    if (state === 'completed' && job.returnvalue == null) {
      const finished = await Job.fromId<LlmJobData, LlmJobResult>(this.queue, queueId);
      if (finished) return this.viewOf(finished, state);
    }
    return this.viewOf(job, state);
  }

  private async viewOf(job: Job<LlmJobData, LlmJobResult>, state: string): Promise<JobView> {
    const data = job.data;
    let status: JobStatus = STATE_TO_STATUS[state] ?? 'queued';
    let error: { code: string; message: string } | undefined;
    if (status === 'failed') {
      const reason = job.failedReason ?? '';
      status = reason.startsWith(EXPIRED_REASON) ? 'expired' : 'failed';
      error = parseError(reason);
    } else if (status === 'queued' && Date.now() >= data.expiresAt) {
      status = 'expired';
    } else if (status === 'queued' && (heldOf(job.progress) || job.failedReason)) {
      error = heldOf(job.progress) ?? parseError(job.failedReason);
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
   * Jobs ahead of this one, in the order workers take them. BullMQ serves its wait list first (new jobs
   * are pushed on the left and taken from the right, so those ahead of a waiting job are to its right),
   * then the prioritized set by score (priority, then a counter: first in, first out within one
   * priority); delayed jobs come after both, in the order they become due.
   */
  private async positionOf(job: Job<LlmJobData, LlmJobResult>, state: string): Promise<number | undefined> {
    const client = await this.queue.client;
    const id = job.id ?? '';
    if (state === 'waiting') {
      const [index, length] = await Promise.all([
        client.lpos(this.queue.keys.wait, id),
        client.llen(this.queue.keys.wait),
      ]);
      return index === null ? undefined : length - 1 - index;
    }
    if (state === 'prioritized') {
      // The set is bounded by QUEUE_MAX_SIZE; BullMQ's client offers no ZRANK.
      const [prioritized, waiting] = await Promise.all([
        client.zrange(this.queue.keys.prioritized, 0, -1),
        client.llen(this.queue.keys.wait),
      ]);
      const rank = prioritized.indexOf(id);
      return rank === -1 ? undefined : waiting + rank;
    }
    if (state === 'delayed') {
      const [delayed, waiting, prioritized] = await Promise.all([
        client.zrange(this.queue.keys.delayed, 0, -1),
        client.llen(this.queue.keys.wait),
        client.zcard(this.queue.keys.prioritized),
      ]);
      const rank = delayed.indexOf(id);
      return rank === -1 ? undefined : waiting + prioritized + rank;
    }
    return undefined;
  }
}
