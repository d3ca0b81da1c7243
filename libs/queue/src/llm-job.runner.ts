import { Injectable, Logger } from '@nestjs/common';
import { BudgetHold, CompletionStep, encodedEmbeddings } from '@breakwater/completion';
import { GatewayError } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { ProviderHeldError } from '@breakwater/llm-provider';
import { ChatJobData, EmbeddingsJobData, LlmJobData, LlmJobResult } from './llm-job';
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
  | { kind: 'completed'; result: LlmJobResult }
  | { kind: 'wait'; delayMs: number; reason: string }
  | { kind: 'retry'; error: { code: string; message: string } }
  | { kind: 'failed'; error: { code: string; message: string } }
  | { kind: 'expired' };

/** A job's answer, not yet booked. */
interface Answer {
  result: LlmJobResult;
  settle(): Promise<void>;
}

/**
 * Runs a queued job through the CompletionStep a synchronous request runs (cache as the request planned
 * it, provider, then budget settlement and usage as a 200 would be), holding the reservation the request
 * handed over. A job that ends without an answer releases that reservation. Both the BullMQ worker and
 * the local queue run jobs here.
 */
@Injectable()
export class LlmJobRunner {
  private readonly logger = new Logger('LlmJobRunner');

  constructor(
    private readonly completion: CompletionStep,
    private readonly metrics: Metrics,
  ) {}

  async run(job: LlmJobData): Promise<RunOutcome> {
    const budget = this.completion.heldBudget(job.reservation);
    const outcome = await this.attempt(job, budget);
    if (outcome.kind === 'failed' || outcome.kind === 'expired') await budget.cancel().catch(() => undefined);
    return outcome;
  }

  private async attempt(job: LlmJobData, budget: BudgetHold): Promise<RunOutcome> {
    if (Date.now() >= job.expiresAt) return { kind: 'expired' };
    try {
      const done =
        job.kind === 'embeddings' ? await this.embed(job, budget) : await this.complete(job, budget);
      await done.settle();
      this.metrics.queueWait.observe((Date.now() - job.createdAt) / 1000);
      this.logger.log(
        { request_id: job.requestId, queue_id: job.queueId, caller: job.callerId },
        'queued job completed',
      );
      return { kind: 'completed', result: done.result };
    } catch (error) {
      return this.sorted(error, job);
    }
  }

  /** Through the cache as planned by the request: identical jobs queued in one outage share one call. */
  private async complete(job: ChatJobData, budget: BudgetHold): Promise<Answer> {
    const done = await this.completion.complete({
      callerId: job.callerId,
      request: job.request,
      routing: this.completion.resolve(job.request, job.fallbackModels),
      cachePlan: job.cachePlan,
      budget,
    });
    return { result: done.answer.completion, settle: () => done.settle() };
  }

  /** The same for embeddings; the result is written in the encoding the request asked for. */
  private async embed(job: EmbeddingsJobData, budget: BudgetHold): Promise<Answer> {
    const done = await this.completion.embed({
      callerId: job.callerId,
      request: job.request,
      routing: this.completion.resolveEmbedding(job.request, job.fallbackModels),
      cachePlan: job.cachePlan,
      budget,
    });
    const result = encodedEmbeddings(done.answer.embeddings, job.request.encoding_format);
    return { result, settle: () => done.settle() };
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
