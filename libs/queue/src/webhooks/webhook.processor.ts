import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError, Worker } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { RedisConnections } from '@breakwater/redis';
import { bullConnection } from '../bull-connection';
import { WEBHOOK_CONCURRENCY, WEBHOOK_QUEUE, WEBHOOK_TIMEOUT_MS } from '../queue.constants';
import { quietAfterClose } from '../quiet-after-close';
import { closeWorker } from '../worker-shutdown';
import { PermanentWebhookError, WebhookDelivery, WebhookSender } from './webhook-sender';

/** Delivers queued webhooks; a target that is no longer allowed ends the job without retries. */
@Injectable()
export class WebhookProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: Worker<WebhookDelivery>;
  private active = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly sender: WebhookSender,
    private readonly redis: RedisConnections,
  ) {}

  onApplicationBootstrap(): void {
    if (this.redis.available) this.start();
    else this.redis.onTransition((available) => available && this.start());
  }

  /** Opens the worker once Redis has answered (see QueueConnections on closing unconnected ones). */
  private start(): void {
    if (this.worker?.isRunning()) return;
    this.worker ??= this.open();
    this.worker.run().catch(() => undefined);
  }

  private open(): Worker<WebhookDelivery> {
    const worker = new Worker<WebhookDelivery>(
      WEBHOOK_QUEUE,
      async (job) => {
        this.active++;
        try {
          await this.sender.deliver(job.data);
        } catch (error) {
          if (error instanceof PermanentWebhookError) throw new UnrecoverableError(error.message);
          throw error;
        } finally {
          this.active--;
        }
      },
      {
        connection: bullConnection(this.config.redis.url, 'worker'),
        concurrency: WEBHOOK_CONCURRENCY,
        autorun: false,
      },
    );
    worker.on('error', () => undefined);
    quietAfterClose(worker);
    return worker;
  }

  async onApplicationShutdown(): Promise<void> {
    await closeWorker(this.worker, () => this.active, WEBHOOK_TIMEOUT_MS);
  }
}
