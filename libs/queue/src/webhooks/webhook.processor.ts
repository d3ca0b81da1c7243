import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { RedisConnections } from '@breakwater/redis';
import { ManagedWorkerHost } from '../managed-worker.host';
import { WEBHOOK_CONCURRENCY, WEBHOOK_QUEUE, WEBHOOK_TIMEOUT_MS } from '../queue.constants';
import { PermanentWebhookError, WebhookDelivery, WebhookSender } from './webhook-sender';

/** Delivers queued webhooks; a target that is no longer allowed ends the job without retries. */
@Processor(WEBHOOK_QUEUE, { autorun: false })
export class WebhookProcessor extends ManagedWorkerHost<WebhookDelivery, void> {
  constructor(
    redis: RedisConnections,
    private readonly sender: WebhookSender,
  ) {
    super(redis, WEBHOOK_CONCURRENCY, WEBHOOK_TIMEOUT_MS);
  }

  protected async handle(job: Job<WebhookDelivery, void>): Promise<void> {
    try {
      await this.sender.deliver(job.data);
    } catch (error) {
      if (error instanceof PermanentWebhookError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
