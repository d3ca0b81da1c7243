import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, ChatCompletion, GatewayError } from '@breakwater/contracts';
import { ReadinessGate } from '@breakwater/health';
import { Metrics } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { LlmJobData, acceptedBody } from './llm-job';
import { LocalQueue } from './local-queue';
import { QueueCapacity } from './queue-capacity';
import { LLM_JOB, LLM_PRODUCER, llmJobOptions } from './queue.constants';

const GAUGE_REFRESH_MS = 5_000;
const QUEUE_FULL_RETRY_SECONDS = 30;

export type NewJob = Omit<LlmJobData, 'queueId' | 'createdAt' | 'expiresAt'>;

/**
 * Accepts work for later: into BullMQ (durable, shared by every replica) while Redis answers, else into
 * this process's LocalQueue. Either way the 202 is only sent once the job is stored, so nothing
 * accepted is lost to a crash of this request. Capacity (QUEUE_MAX_SIZE, watermarks) applies to both.
 */
@Injectable()
export class LlmQueueProducer implements ReadinessGate, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LlmQueue');
  private readonly capacity: QueueCapacity;
  private gaugeTimer?: NodeJS.Timeout;

  constructor(
    @InjectQueue(LLM_PRODUCER) private readonly queue: Queue<LlmJobData, ChatCompletion>,
    private readonly local: LocalQueue,
    private readonly redis: RedisConnections,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    const { maxSize, highWatermark, lowWatermark } = config.queue;
    this.capacity = new QueueCapacity(maxSize, highWatermark, lowWatermark);
  }

  onModuleInit(): void {
    this.redis.onTransition((available) => (available ? this.handOver() : undefined));
    this.gaugeTimer = setInterval(
      () =>
        // Only an error Redis did not cause reaches here (a refused command): the next tick tries again.
        void this.refreshGauges().catch((error: unknown) =>
          this.logger.error({ err: error }, 'queue gauges not refreshed'),
        ),
      GAUGE_REFRESH_MS,
    ).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.gaugeTimer);
    await this.handOver();
  }

  async enqueue(job: NewJob): Promise<AcceptedBody> {
    const createdAt = Date.now();
    const data: LlmJobData = {
      ...job,
      queueId: randomUUID(),
      createdAt,
      expiresAt: createdAt + this.config.queue.requestTtlSeconds * 1000,
    };
    return this.redis.sharedOr(
      async () => {
        await this.toRedis(data);
        return acceptedBody(data, true);
      },
      () => {
        if (!this.local.enqueue(data)) throw this.full();
        this.metrics.queueJobsTotal.inc({ outcome: 'enqueued' });
        return acceptedBody(data, false);
      },
    );
  }

  /** The readiness gate: with Redis down, the local queue at its high watermark refuses all queued work. */
  blockedBy(): string | undefined {
    if (this.redis.available || !this.local.full) return undefined;
    return 'Redis is unreachable and the local queue is full';
  }

  /** Depth of the durable queue: jobs not yet ended. */
  async durableDepth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'paused');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  private async toRedis(data: LlmJobData): Promise<void> {
    if (!this.capacity.admits(await this.durableDepth())) throw this.full();
    await this.addDurable(data);
    this.metrics.queueJobsTotal.inc({ outcome: 'enqueued' });
  }

  /** One job into BullMQ under its queue id, with the configured attempts, backoff and retention. */
  private async addDurable(data: LlmJobData): Promise<void> {
    const { maxRetries, resultRetentionSeconds } = this.config.queue;
    const options = llmJobOptions(
      data.queueId,
      maxRetries,
      this.config.resilience.retryBaseDelayMs,
      resultRetentionSeconds,
    );
    await this.queue.add(LLM_JOB, data, options);
  }

  /** Local jobs that have not started move to Redis once it is back, where they become durable. */
  private async handOver(): Promise<void> {
    await this.redis.sharedOr(
      async () => {
        const pending = this.local.takePending();
        let handed = 0;
        try {
          for (const data of pending) {
            await this.addDurable(data);
            handed++;
          }
        } finally {
          // Whatever stopped the hand-over, the jobs not yet in Redis stay queued here.
          for (const rest of pending.slice(handed)) this.local.enqueue(rest);
        }
        if (handed > 0) this.logger.log(`handed ${handed} local job(s) to Redis`);
      },
      // Redis is away (or went away during the hand-over): the next return tries again.
      () => undefined,
    );
  }

  private full(): GatewayError {
    this.metrics.queueJobsTotal.inc({ outcome: 'rejected_full' });
    return new GatewayError('QUEUE_FULL', 'the queue is full: retry later', {
      retryAfterSeconds: QUEUE_FULL_RETRY_SECONDS,
    });
  }

  private async refreshGauges(): Promise<void> {
    await this.redis.sharedOr(
      async () => {
        const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        for (const [state, count] of Object.entries(counts)) this.metrics.queueJobs.set({ state }, count);
      },
      // Redis is away: the next tick tries again.
      () => undefined,
    );
  }
}
