import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { backoffDelayMs } from '@breakwater/llm-provider';
import { RedisConnections } from '@breakwater/redis';
import { JobEvents } from '../job-events';
import { LlmJobData } from '../llm-job';
import { RunOutcome } from '../llm-job.runner';
import {
  WEBHOOK_ATTEMPTS,
  WEBHOOK_BACKOFF_MS,
  WEBHOOK_JOB,
  WEBHOOK_JOB_OPTIONS,
  WEBHOOK_PRODUCER,
} from '../queue.constants';
import { PermanentWebhookError, WebhookDelivery, WebhookSender } from './webhook-sender';

/**
 * Turns the end of every queued job that has an `x-callback-url` into a webhook: a job of its own
 * BullMQ queue (retried with backoff by the webhook workers) while Redis answers, else delivered from
 * this process with the same retry schedule. The webhook job id is derived from the queue id, so a job
 * ended twice (at-least-once delivery) still makes one webhook.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @InjectQueue(WEBHOOK_PRODUCER) private readonly queue: Queue<WebhookDelivery>,
    private readonly events: JobEvents,
    private readonly sender: WebhookSender,
    private readonly redis: RedisConnections,
  ) {}

  onModuleInit(): void {
    this.events.onEnded(
      (data, outcome) =>
        // Only an error Redis did not cause reaches here (a refused command): nothing is left to answer it.
        void this.dispatch(data, outcome).catch((error: unknown) =>
          this.logger.error({ queue_id: data.queueId, err: error }, 'webhook not dispatched'),
        ),
    );
  }

  private async dispatch(data: LlmJobData, outcome: RunOutcome): Promise<void> {
    if (!data.callbackUrl) return;
    const delivery: WebhookDelivery = {
      queueId: data.queueId,
      callerId: data.callerId,
      url: data.callbackUrl,
      body: JSON.stringify(webhookBody(data.queueId, outcome)),
      traceparent: outcome.traceparent ?? data.traceparent,
    };
    await this.redis.sharedOr(
      async () => {
        await this.queue.add(WEBHOOK_JOB, delivery, {
          ...WEBHOOK_JOB_OPTIONS,
          jobId: `webhook-${data.queueId}`,
        });
      },
      () => this.deliverHere(delivery),
    );
  }

  private async deliverHere(delivery: WebhookDelivery): Promise<void> {
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      try {
        await this.sender.deliver(delivery);
        return;
      } catch (error) {
        if (error instanceof PermanentWebhookError || attempt === WEBHOOK_ATTEMPTS) {
          this.logger.warn({ queue_id: delivery.queueId, err: error }, 'webhook not delivered');
          return;
        }
        await sleep(backoffDelayMs(attempt, WEBHOOK_BACKOFF_MS));
      }
    }
  }
}

export function webhookBody(queueId: string, outcome: RunOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'completed':
      return { queue_id: queueId, status: 'completed', result: outcome.result };
    case 'expired':
      return {
        queue_id: queueId,
        status: 'expired',
        error: { code: 'EXPIRED', message: 'the request expired' },
      };
    default:
      return { queue_id: queueId, status: 'failed', error: 'error' in outcome ? outcome.error : undefined };
  }
}
