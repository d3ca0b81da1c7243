// The queue step: accept work for later (BullMQ while Redis answers, a bounded local queue while it
// does not), run it with the same provider step as a 200, report status and results, send webhooks.
export * from './job-status-feed';
export * from './job-status.store';
export * from './llm-job';
export * from './llm-queue.producer';
export * from './job-queue';
export { bullConnection } from './bull-connection';
export { ShutdownSafeQueue } from './shutdown-safe-queue';
export * from './queue.module';
export { LLM_PRODUCER, WEBHOOK_PRODUCER } from './queue.constants';
export * from './webhooks/host-resolver';
export * from './webhooks/webhook-sender';
export * from './webhooks/webhook-targets';
