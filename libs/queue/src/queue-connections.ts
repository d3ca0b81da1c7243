import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion } from '@breakwater/contracts';
import { bullConnection } from './bull-connection';
import { LlmJobData } from './llm-job';
import { LLM_QUEUE, WEBHOOK_QUEUE } from './queue.constants';
import { WebhookDelivery } from './webhooks/webhook-sender';

/**
 * The producers' BullMQ queues, on fail-fast connections. Built here rather than by @nestjs/bullmq's
 * registerQueue because closing must not throw while Redis is down: BullMQ's close() sends QUIT, which a
 * connection without an offline queue rejects when Redis is gone, and @nestjs/bullmq leaves that
 * rejection unhandled in the middle of a shutdown. Here it is caught.
 */
@Injectable()
export class QueueConnections implements OnApplicationShutdown {
  readonly llm: Queue<LlmJobData, ChatCompletion>;
  readonly webhooks: Queue<WebhookDelivery>;

  constructor(config: AppConfig) {
    const connection = bullConnection(config.redis.url, 'producer');
    this.llm = new Queue<LlmJobData, ChatCompletion>(LLM_QUEUE, { connection });
    this.webhooks = new Queue<WebhookDelivery>(WEBHOOK_QUEUE, { connection });
    // An unhandled 'error' event would crash the process; RedisConnections already reports outages.
    for (const queue of [this.llm, this.webhooks]) queue.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.llm, this.webhooks].map((queue) => queue.close().catch(() => undefined)));
  }
}
