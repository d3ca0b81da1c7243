import { Injectable } from '@nestjs/common';
import { ChatCompletion } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { ModelRoute } from './model-router';
import { Pricing } from './pricing';
import { ProviderError } from './provider-error';
import { isBreakerRejection } from './resilience/breaker-rejection';

/** One attempt's answer and what it cost. */
export interface PricedCompletion {
  completion: ChatCompletion;
  costUsd: number;
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

  /** Times and counts one attempt; a failure is counted by its kind and thrown on unchanged. */
  async measure(route: ModelRoute, call: () => Promise<ChatCompletion>): Promise<PricedCompletion> {
    const labels = this.labels(route);
    const stopTimer = this.metrics.llmRequestDuration.startTimer(labels);
    try {
      const completion = await call();
      const costUsd = this.pricing.costUsd(route.provider, route.model, completion.usage);
      this.metrics.llmRequests.inc({ ...labels, outcome: 'success' });
      this.metrics.llmTokens.inc({ ...labels, type: 'input' }, completion.usage.prompt_tokens);
      this.metrics.llmTokens.inc({ ...labels, type: 'output' }, completion.usage.completion_tokens);
      this.metrics.llmCost.inc(labels, costUsd);
      return { completion, costUsd };
    } catch (error) {
      this.metrics.llmRequests.inc({ ...labels, outcome: outcomeOf(error) });
      throw error;
    } finally {
      stopTimer();
    }
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
