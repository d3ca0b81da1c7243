import { setTimeout as sleep } from 'node:timers/promises';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { RedisConnections } from '@breakwater/redis';
import { quietAfterClose } from './quiet-after-close';

const POLL_MS = 20;

/**
 * The one lifecycle of every BullMQ worker here. @nestjs/bullmq builds the worker with
 * `autorun: false` on the patient connection; it starts taking jobs, with a concurrency read from
 * configuration at run time, only once Redis answers, so it never spins against an unreachable Redis.
 *
 * On shutdown it takes no new jobs and lets the active ones finish for up to `graceMs`, then drops its
 * connections. BullMQ's own graceful close() also waits on the blocking connection, which after a Redis
 * restart can wait forever; the jobs are what must be waited for, not that command. A job still running
 * at the deadline keeps its lock until it expires and the stalled check gives it to another worker, so
 * nothing is lost either way.
 */
export abstract class ManagedWorkerHost<Data, Result>
  extends WorkerHost
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private active = 0;

  protected constructor(
    private readonly redis: RedisConnections,
    private readonly concurrency: number,
    private readonly graceMs: number,
  ) {
    super();
  }

  /** One job, run once; what it throws is what BullMQ records (an attempt, or the end). */
  protected abstract handle(job: Job<Data, Result>, token?: string): Promise<Result>;

  async process(job: Job<Data, Result>, token?: string): Promise<Result> {
    this.active++;
    try {
      return await this.handle(job, token);
    } finally {
      this.active--;
    }
  }

  onApplicationBootstrap(): void {
    quietAfterClose(this.worker);
    this.worker.concurrency = this.concurrency;
    if (this.redis.available) this.start();
    else this.redis.onTransition((available) => available && this.start());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.pause(true).catch(() => undefined);
    const deadline = Date.now() + this.graceMs;
    while (this.active > 0 && Date.now() < deadline) await sleep(POLL_MS);
    await this.worker.close(true).catch(() => undefined);
  }

  /** RedisConnections reports outages; a worker's own errors would crash the process unheard. */
  @OnWorkerEvent('error')
  onError(): void {}

  private start(): void {
    if (this.worker.isRunning() || this.worker.closing) return;
    new Logger('Worker').log(`taking jobs from ${this.worker.name} with concurrency ${this.concurrency}`);
    this.worker.run().catch(() => undefined);
  }
}
