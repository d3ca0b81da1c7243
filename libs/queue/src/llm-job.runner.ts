import { Injectable, Logger } from '@nestjs/common';
import { BudgetHold, CompletionStep, Routing, encodedEmbeddings, shapedAnswer } from '@breakwater/completion';
import { GatewayError } from '@breakwater/contracts';
import { ATTR, Metrics, SpanKind, Tracing } from '@breakwater/observability';
import { CircuitOpenError, ModelRoute, ProviderHeldError } from '@breakwater/llm-provider';
import { Limits } from '@breakwater/rate-limit';
import { ChatJobData, EmbeddingsJobData, LlmJobData, LlmJobResult } from './llm-job';
import { LLM_QUEUE, MIN_WAIT_MS } from './queue.constants';

/**
 * What one run of a queued job came to:
 * - completed: the answer;
 * - wait: the provider refuses calls for now (open breaker, outbound quota): try again after `delayMs`,
 *   without spending an attempt;
 * - retry: a real failure: spend an attempt and back off;
 * - failed: a permanent failure (the provider rejected the request): no retry can help;
 * - expired: older than QUEUE_REQUEST_TTL_SECONDS: the provider is never called.
 */
export type RunOutcome = (
  | { kind: 'completed'; result: LlmJobResult }
  | { kind: 'wait'; delayMs: number; reason: string }
  | { kind: 'retry'; error: { code: string; message: string } }
  | { kind: 'failed'; error: { code: string; message: string } }
  | { kind: 'expired' }
) & {
  /** The run's span, as a W3C trace context, for what the job's end sends on (its webhook). */
  traceparent?: string;
};

/** A job's answer, not yet booked. */
interface Answer {
  result: LlmJobResult;
  settle(): Promise<void>;
}

/**
 * Runs a queued job through the CompletionStep a synchronous request runs (cache as the request planned
 * it, provider, then budget settlement and usage as a 200 would be), holding the reservation the request
 * handed over. A job that ends without an answer releases that reservation. Both the BullMQ worker and
 * the local queue run jobs here, each run in a consumer span continuing the enqueue's trace context.
 * A run that waits on a provider refusing calls (open breaker, outbound quota) is a log line saying why.
 * A job holds a GLOBAL_CONCURRENCY slot while it runs, as a synchronous request does, so the limit counts
 * every call in flight; with none free it waits without an attempt.
 */
@Injectable()
export class LlmJobRunner {
  private readonly logger = new Logger('LlmJobRunner');

  constructor(
    private readonly completion: CompletionStep,
    private readonly metrics: Metrics,
    private readonly tracing: Tracing,
    private readonly limits: Limits,
  ) {}

  /** `attempt` is the job's attempt this run makes (1 for the first), as its queue counts them. */
  run(job: LlmJobData, attempt = 1): Promise<RunOutcome> {
    const attributes = {
      [ATTR.messagingSystem]: 'bullmq',
      [ATTR.messagingOperation]: 'process',
      [ATTR.messagingDestination]: LLM_QUEUE,
      [ATTR.messagingMessageId]: job.queueId,
      [ATTR.requestId]: job.requestId,
      [ATTR.attempt]: attempt,
    };
    const name = `process ${LLM_QUEUE}`;
    return this.tracing.continued(job.traceparent, name, SpanKind.CONSUMER, attributes, async (span) => {
      const budget = this.completion.heldBudget(job.reservation);
      const outcome = await this.attempt(job, budget, attempt);
      if (outcome.kind === 'failed' || outcome.kind === 'expired')
        await budget.cancel().catch(() => undefined);
      span?.setAttribute(ATTR.outcome, outcome.kind);
      if (outcome.kind === 'retry' || outcome.kind === 'failed') {
        this.tracing.failed(span, outcome.error.code, outcome.error.message);
      }
      return { ...outcome, traceparent: this.tracing.traceparentOf() };
    });
  }

  private async attempt(job: LlmJobData, budget: BudgetHold, attempt: number): Promise<RunOutcome> {
    if (Date.now() >= job.expiresAt) return { kind: 'expired' };
    let routes: ModelRoute[] = [];
    const slot = await this.limits.globalSlot();
    if (!slot)
      return { kind: 'wait', delayMs: MIN_WAIT_MS, reason: 'GLOBAL_CONCURRENCY requests are in flight' };
    try {
      const routing =
        job.kind === 'embeddings'
          ? this.completion.resolveEmbedding(job.request, job.fallbackModels)
          : this.completion.resolve(job.request, job.fallbackModels);
      routes = [routing.route, ...routing.fallbacks];
      const done =
        job.kind === 'embeddings'
          ? await this.embed(job, routing, budget)
          : await this.complete(job, routing, budget);
      await done.settle();
      this.metrics.queueWait.observe((Date.now() - job.createdAt) / 1000);
      this.logger.log(
        { request_id: job.requestId, queue_id: job.queueId, caller: job.callerId },
        'queued job completed',
      );
      return { kind: 'completed', result: done.result };
    } catch (error) {
      return this.sorted(error, job, attempt, routes);
    } finally {
      slot.release();
    }
  }

  /** Through the cache as planned by the request: identical jobs queued in one outage share one call. */
  private async complete(job: ChatJobData, routing: Routing, budget: BudgetHold): Promise<Answer> {
    const done = await this.completion.complete({
      callerId: job.callerId,
      request: job.request,
      routing,
      cachePlan: job.cachePlan,
      budget,
    });
    return { result: shapedAnswer(done.answer.completion, job.answerShape), settle: () => done.settle() };
  }

  /** The same for embeddings; the result is written in the encoding the request asked for. */
  private async embed(job: EmbeddingsJobData, routing: Routing, budget: BudgetHold): Promise<Answer> {
    const done = await this.completion.embed({
      callerId: job.callerId,
      request: job.request,
      routing,
      cachePlan: job.cachePlan,
      budget,
    });
    const result = encodedEmbeddings(done.answer.embeddings, job.request.encoding_format);
    return { result, settle: () => done.settle() };
  }

  private sorted(error: unknown, job: LlmJobData, attempt: number, routes: ModelRoute[]): RunOutcome {
    if (error instanceof ProviderHeldError) {
      const delayMs = Math.max(MIN_WAIT_MS, error.retryAfterMs);
      // The route the refusal came from: the breaker's provider, else (an outbound quota) the first route.
      const held = error instanceof CircuitOpenError ? error.provider : undefined;
      const route = routes.find((candidate) => candidate.provider === held) ?? routes[0];
      this.logger.warn(
        {
          request_id: job.requestId,
          queue_id: job.queueId,
          provider: held ?? route?.provider,
          model: route?.model,
          attempt,
          reason: error.message,
          delay_ms: delayMs,
        },
        'queued job waits: the provider refuses calls for now',
      );
      return { kind: 'wait', delayMs, reason: error.message };
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
