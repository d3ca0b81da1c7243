import { Injectable, Logger } from '@nestjs/common';
import { ResponseCache } from '@breakwater/cache';
import { ChatCompletion, GatewayError } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { ProviderAnswer, ProviderHeldError, ProviderRegistry } from '@breakwater/llm-provider';
import { Limits, OutboundLimits, Usage } from '@breakwater/rate-limit';
import { LlmJobData } from './llm-job';
import { MIN_WAIT_MS } from './queue.constants';

/**
 * What one run of a queued job came to:
 * - completed: the answer;
 * - wait: the provider refuses calls for now (open breaker, outbound quota): try again after `delayMs`,
 *   without spending an attempt;
 * - retry: a real failure: spend an attempt and back off;
 * - failed: a permanent failure (the provider rejected the request): no retry can help;
 * - expired: older than QUEUE_REQUEST_TTL_SECONDS: the provider is never called.
 */
export type RunOutcome =
  | { kind: 'completed'; completion: ChatCompletion }
  | { kind: 'wait'; delayMs: number; reason: string }
  | { kind: 'retry'; error: { code: string; message: string } }
  | { kind: 'failed'; error: { code: string; message: string } }
  | { kind: 'expired' };

/**
 * Runs a queued job through the same provider step as a synchronous request (ProviderRegistry:
 * breakers, retries, structured output, fallbacks, the outbound quota before every attempt), then
 * books the answer as a 200 would be: cache write, budget settlement, usage. A job that ends without an
 * answer releases its budget reservation. Both the BullMQ worker and the local queue run jobs here, so
 * the two paths cannot drift apart.
 */
@Injectable()
export class LlmJobRunner {
  private readonly logger = new Logger('LlmJobRunner');

  constructor(
    private readonly providers: ProviderRegistry,
    private readonly metrics: Metrics,
    private readonly cache: ResponseCache,
    private readonly limits: Limits,
    private readonly outbound: OutboundLimits,
    private readonly usage: Usage,
  ) {}

  async run(job: LlmJobData): Promise<RunOutcome> {
    const outcome = await this.attempt(job);
    if ((outcome.kind === 'failed' || outcome.kind === 'expired') && job.reservation) {
      await this.limits.cancel(job.reservation).catch(() => undefined);
    }
    return outcome;
  }

  private async attempt(job: LlmJobData): Promise<RunOutcome> {
    if (Date.now() >= job.expiresAt) return { kind: 'expired' };
    try {
      const route = this.providers.resolve(job.request.model);
      const fallbacks = job.fallbackModels.map((model) => this.providers.resolve(model, 'x-fallback-models'));
      const call = () =>
        this.providers.complete(route, job.request, {
          fallbacks,
          beforeAttempt: (provider) => this.outbound.take(provider),
        });
      // Through the cache as planned by the request: identical jobs queued in one outage share one call.
      const { answer, status } = job.cachePlan
        ? await this.cache.through(job.cachePlan, call)
        : { answer: await call(), status: 'BYPASS' as const };
      await this.book(job, answer, status === 'HIT' || status === 'STALE');
      this.metrics.queueWait.observe((Date.now() - job.createdAt) / 1000);
      this.logger.log(
        { request_id: job.requestId, queue_id: job.queueId, caller: job.callerId },
        'queued job completed',
      );
      return { kind: 'completed', completion: answer.completion };
    } catch (error) {
      return this.sorted(error, job);
    }
  }

  /** Books the answer as a 200 would be (the cache step stored it): budget settlement, usage. */
  private async book(job: LlmJobData, answer: ProviderAnswer, cacheHit: boolean): Promise<void> {
    const spent = cacheHit
      ? { tokens: 0, costUsd: 0 }
      : { tokens: answer.completion.usage.total_tokens, costUsd: answer.costUsd };
    await Promise.all([
      job.reservation ? this.limits.settle(job.reservation, spent) : undefined,
      this.usage.recordAnswer(job.callerId, answer, cacheHit),
    ]);
  }

  private sorted(error: unknown, job: LlmJobData): RunOutcome {
    if (error instanceof ProviderHeldError) {
      return { kind: 'wait', delayMs: Math.max(MIN_WAIT_MS, error.retryAfterMs), reason: error.message };
    }
    if (error instanceof GatewayError) {
      const summary = { code: error.code, message: error.message };
      return error.code === 'PROVIDER_UNAVAILABLE'
        ? { kind: 'retry', error: summary }
        : { kind: 'failed', error: summary };
    }
    this.logger.error({ err: error, request_id: job.requestId, queue_id: job.queueId }, 'queued job crashed');
    return { kind: 'retry', error: { code: 'INTERNAL', message: 'internal error' } };
  }
}
