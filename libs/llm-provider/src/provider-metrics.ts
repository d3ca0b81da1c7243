import { Injectable } from '@nestjs/common';
import { ChatCompletionUsage } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { ModelRoute } from './model-router';
import { Pricing } from './pricing';
import { ProviderError } from './provider-error';
import { isBreakerRejection } from './resilience/breaker-rejection';

/** One attempt's answer (a completion, or embeddings) and what it cost. */
export interface Priced<T> {
  answer: T;
  costUsd: number;
}

/** One streamed attempt's accounting; see ProviderMetrics.streamAttempt. */
export interface StreamMeasure {
  opened(): void;
  chunk(): void;
  /** Counts the success with its tokens and returns what it cost. */
  ended(usage: ChatCompletionUsage): number;
  failed(error: unknown): void;
}

/**
 * The accounting of provider attempts: `llm_requests_total` by outcome, `llm_request_duration_seconds`,
 * tokens and cost, each labelled with Metrics.modelLabel so a made-up model name cannot grow the series.
 */
@Injectable()
export class ProviderMetrics {
  constructor(
    private readonly metrics: Metrics,
    private readonly pricing: Pricing,
  ) {}

  /**
   * Times and counts one attempt; a failure is counted by its kind and thrown on unchanged. `usageOf`
   * reads the answer's tokens (embeddings have input tokens only).
   */
  async measure<T>(
    route: ModelRoute,
    call: () => Promise<T>,
    usageOf: (answer: T) => ChatCompletionUsage,
  ): Promise<Priced<T>> {
    const labels = this.labels(route);
    const stopTimer = this.metrics.llmRequestDuration.startTimer(labels);
    try {
      const answer = await call();
      const usage = usageOf(answer);
      const costUsd = this.pricing.costUsd(route.provider, route.model, usage);
      this.metrics.llmRequests.inc({ ...labels, outcome: 'success' });
      this.metrics.llmTokens.inc({ ...labels, type: 'input' }, usage.prompt_tokens);
      this.metrics.llmTokens.inc({ ...labels, type: 'output' }, usage.completion_tokens);
      this.metrics.llmCost.inc(labels, costUsd);
      return { answer, costUsd };
    } catch (error) {
      this.metrics.llmRequests.inc({ ...labels, outcome: outcomeOf(error) });
      throw error;
    } finally {
      stopTimer();
    }
  }

  /**
   * A stream attempt, measured in its two parts: `opened` at its first chunk (time to first token),
   * `chunk` per chunk (added to llm_stream_chunks_total when the stream ends), and `ended` or `failed` once, when the whole answer is in (tokens and cost, priced
   * here and returned) or the stream broke. The duration is the whole stream's.
   */
  streamAttempt(route: ModelRoute): StreamMeasure {
    const labels = this.labels(route);
    const provider = { provider: route.provider };
    const started = performance.now();
    const stopTimer = this.metrics.llmRequestDuration.startTimer(labels);
    let over = false;
    // Counted here and added to the counter once: a labelled inc per chunk is a measurable share of a chunk's cost.
    let chunks = 0;
    const end = (outcome: string): void => {
      if (over) return;
      over = true;
      stopTimer();
      this.metrics.llmRequests.inc({ ...labels, outcome });
      if (chunks > 0) this.metrics.llmStreamChunks.inc(provider, chunks);
    };
    return {
      opened: () => this.metrics.llmTimeToFirstToken.observe(provider, (performance.now() - started) / 1000),
      chunk: () => {
        chunks += 1;
      },
      ended: (usage) => {
        const costUsd = this.pricing.costUsd(route.provider, route.model, usage);
        end('success');
        this.metrics.llmTokens.inc({ ...labels, type: 'input' }, usage.prompt_tokens);
        this.metrics.llmTokens.inc({ ...labels, type: 'output' }, usage.completion_tokens);
        this.metrics.llmCost.inc(labels, costUsd);
        return costUsd;
      },
      failed: (error) => end(outcomeOf(error)),
    };
  }

  /** What `usage` costs on the route (for a stream cut short: what was received). */
  costUsd(route: ModelRoute, usage: ChatCompletionUsage): number {
    return this.pricing.costUsd(route.provider, route.model, usage);
  }

  /** An answer that arrived (and was counted as a success) but failed the request's response_format. */
  invalidOutput(route: ModelRoute): void {
    this.metrics.llmRequests.inc({ ...this.labels(route), outcome: 'invalid_output' });
  }

  private labels(route: ModelRoute): { provider: string; model: string } {
    return { provider: route.provider, model: this.metrics.modelLabel(route.provider, route.model) };
  }
}

function outcomeOf(error: unknown): string {
  if (isBreakerRejection(error)) return 'circuit_open';
  return error instanceof ProviderError ? error.kind : 'error';
}
