import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CacheModule } from '@breakwater/cache';
import { CompletionModule } from '@breakwater/completion';
import { ReadinessGate } from '@breakwater/health';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { RateLimitModule } from '@breakwater/rate-limit';
import { IdempotencyStore } from './idempotency.store';
import { JobEvents } from './job-events';
import { JobStatusStore } from './job-status.store';
import { LlmJobProcessor } from './llm-job.processor';
import { LlmJobRunner } from './llm-job.runner';
import { LlmQueueProducer } from './llm-queue.producer';
import { LocalQueue } from './local-queue';
import { QueueConnections } from './queue-connections';
import { DnsHostResolver } from './webhooks/dns-host-resolver';
import { HostResolver } from './webhooks/host-resolver';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhookProcessor } from './webhooks/webhook.processor';
import { WebhookSender } from './webhooks/webhook-sender';
import { WebhookTargets } from './webhooks/webhook-targets';

export interface QueueModuleOptions {
  /** Run the BullMQ workers in this process (the worker app; the gateway when RUN_WORKERS=true). */
  processing: boolean;
}

/** Imported once per app (global): the gateway with processing = RUN_WORKERS, the worker with processing on. */
@Module({})
export class QueueModule {
  static forRoot(options: QueueModuleOptions): DynamicModule {
    const workers: Provider[] = options.processing ? [LlmJobProcessor, WebhookProcessor] : [];
    return {
      module: QueueModule,
      global: true,
      imports: [LlmProviderModule, CacheModule, RateLimitModule, CompletionModule],
      providers: [
        QueueConnections,
        JobEvents,
        LlmJobRunner,
        LocalQueue,
        LlmQueueProducer,
        JobStatusStore,
        IdempotencyStore,
        { provide: HostResolver, useClass: DnsHostResolver },
        WebhookTargets,
        WebhookSender,
        WebhookDispatcher,
        { provide: ReadinessGate, useExisting: LlmQueueProducer },
        ...workers,
      ],
      exports: [LlmQueueProducer, JobStatusStore, IdempotencyStore, WebhookTargets, LocalQueue],
    };
  }
}
