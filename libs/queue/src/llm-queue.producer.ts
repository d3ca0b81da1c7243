import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, GatewayError, PRIORITIES, Priority } from '@breakwater/contracts';
import { ReadinessGate } from '@breakwater/health';
import { ATTR, Metrics, SpanKind, Tracing } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { BullJobQueue } from './bull-job-queue';
import { JobQueue } from './job-queue';
import { LlmJobData, acceptedBody } from './llm-job';
import { MemoryJobQueue } from './memory-job-queue';
import { LLM_QUEUE } from './queue.constants';

const GAUGE_REFRESH_MS = 5_000;
const QUEUE_FULL_RETRY_SECONDS = 30;

/** A job as a request hands it over; distributed over the kinds, so each keeps its own request type. */
export type NewJob = LlmJobData extends infer Job
  ? Job extends LlmJobData
    ? Omit<Job, 'queueId' | 'createdAt' | 'expiresAt'>
    : never
  : never;

/**
 * Accepts work for later: into the BullMQ job queue (durable, shared by every replica) while Redis
 * answers, else into this process's memory job queue. Either way the 202 is only sent once the job is
 * stored, so nothing accepted is lost to a crash of this request. Capacity (QUEUE_MAX_SIZE, watermarks)
 * applies to both.
 */
@Injectable()
export class LlmQueueProducer implements ReadinessGate, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LlmQueue');
  private gaugeTimer?: NodeJS.Timeout;

  constructor(
    private readonly durable: BullJobQueue,
    private readonly memory: MemoryJobQueue,
    private readonly redis: RedisConnections,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly tracing: Tracing,
  ) {}

  onModuleInit(): void {
    this.reportMode(this.redis.available);
    this.redis.onTransition((available) => {
      this.reportMode(available);
      return available ? this.handOver() : undefined;
    });
    this.gaugeTimer = setInterval(
      () =>
        // Only an error Redis did not cause reaches here (a refused command): the next tick tries again.
        void this.tick().catch((error: unknown) =>
          this.logger.error({ err: error }, 'queue gauges not refreshed'),
        ),
      GAUGE_REFRESH_MS,
    ).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.gaugeTimer);
    await this.handOver();
  }

  /** In a producer span, whose context the job carries (`traceparent`) for the worker to continue. */
  enqueue(job: NewJob): Promise<AcceptedBody> {
    const attributes = {
      [ATTR.messagingSystem]: 'bullmq',
      [ATTR.messagingOperation]: 'send',
      [ATTR.messagingDestination]: LLM_QUEUE,
    };
    return this.tracing.span(`send ${LLM_QUEUE}`, SpanKind.PRODUCER, attributes, () => this.enqueued(job));
  }

  private async enqueued(job: NewJob): Promise<AcceptedBody> {
    const createdAt = Date.now();
    const data: LlmJobData = {
      ...job,
      priority: this.priorityOf(job.callerId, job.priority),
      queueId: randomUUID(),
      createdAt,
      expiresAt: createdAt + this.config.queue.requestTtlSeconds * 1000,
      traceparent: this.tracing.traceparentOf(),
    };
    return this.redis.sharedOr(
      () => this.accept(this.durable, data),
      () => this.accept(this.memory, data),
    );
  }

  /**
   * The priority a job drains at: the one asked for (`x-priority`), else the caller's `priority`, else
   * normal; never above the caller's `max_priority` (a higher ask is lowered to it, not refused).
   */
  private priorityOf(callerId: string, asked: Priority | undefined): Priority {
    const own = this.config.callers.priorities.get(callerId);
    const wanted = asked ?? own?.priority ?? 'normal';
    const ceiling = own?.maxPriority ?? 'high';
    // PRIORITIES runs from the highest: a smaller index is a higher priority.
    return PRIORITIES.indexOf(wanted) < PRIORITIES.indexOf(ceiling) ? ceiling : wanted;
  }

  /** The readiness gate: with Redis down, the memory queue at its high watermark refuses all queued work. */
  blockedBy(): string | undefined {
    if (this.redis.available || !this.memory.full) return undefined;
    return 'Redis is unreachable and the local queue is full';
  }

  private async accept(queue: JobQueue, data: LlmJobData): Promise<AcceptedBody> {
    if (!(await queue.add(data))) {
      this.metrics.queueJobsTotal.inc({ outcome: 'rejected_full' });
      throw new GatewayError('QUEUE_FULL', 'the queue is full: retry later', {
        retryAfterSeconds: QUEUE_FULL_RETRY_SECONDS,
      });
    }
    this.metrics.queueJobsTotal.inc({ outcome: 'enqueued' });
    return acceptedBody(data, queue.durable);
  }

  /** Memory jobs that have not started move to Redis once it is back, where they become durable. */
  private async handOver(): Promise<void> {
    await this.redis.sharedOr(
      async () => {
        const pending = this.memory.takePending();
        let handed = 0;
        try {
          for (const data of pending) {
            await this.durable.store(data);
            handed++;
          }
        } finally {
          // Whatever stopped the hand-over, the jobs not yet in Redis stay queued here.
          for (const rest of pending.slice(handed)) this.memory.restore(rest);
        }
        if (handed > 0) this.logger.log(`handed ${handed} local job(s) to Redis`);
      },
      // Redis is away (or went away during the hand-over): the next return tries again.
      () => undefined,
    );
  }

  /**
   * The gauges, and a hand-over of local jobs still waiting while Redis is up: the one at Redis's return
   * fails when the queue's own connection is not back yet (it reconnects after the request path's, a second
   * or more after a Sentinel failover), and without another try those jobs would stay in this process.
   */
  private async tick(): Promise<void> {
    await this.refreshGauges();
    if (this.redis.available && (await this.memory.depth()) > 0) await this.handOver();
  }

  private async refreshGauges(): Promise<void> {
    await this.redis.sharedOr(
      async () => {
        const counts = await this.durable.counts();
        for (const [state, count] of Object.entries(counts)) this.metrics.queueJobs.set({ state }, count);
        await this.reportOldest(this.durable);
      },
      // Redis is away: the Redis counts wait for the next tick; the local queue is the one that waits now.
      () => this.reportOldest(this.memory),
    );
  }

  private async reportOldest(queue: JobQueue): Promise<void> {
    const since = await queue.oldestWaitingSince();
    this.metrics.queueOldestJobAge.set(since === undefined ? 0 : Math.max(0, (Date.now() - since) / 1000));
  }

  private reportMode(available: boolean): void {
    this.metrics.redisConnected.set(available ? 1 : 0);
  }
}
