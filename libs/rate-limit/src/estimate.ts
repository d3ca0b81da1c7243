import { ChatCompletionRequest } from '@breakwater/contracts';
import { ModelPrice, estimatePromptTokens } from '@breakwater/llm-provider';

/** Completion tokens assumed when a request sets no `max_tokens` / `max_completion_tokens`. */
export const DEFAULT_COMPLETION_TOKENS_ESTIMATE = 256;

/** What a request is expected to cost before it runs: reserved against the day's budgets at admission. */
export interface SpendEstimate {
  tokens: number;
  costUsd: number;
}

/**
 * The estimate reserved at admission: the prompt's estimated tokens plus the most the answer may use
 * (`max_completion_tokens`, else `max_tokens`, else DEFAULT_COMPLETION_TOKENS_ESTIMATE, times `n`), priced
 * with `price` (USD per million tokens) when the model has one. Only requests running at the same time
 * see it: the answer replaces it with the real usage, so sequential calls are judged on real spend.
 */
export function estimateOf(request: ChatCompletionRequest, price?: ModelPrice): SpendEstimate {
  const promptTokens = estimatePromptTokens(request.messages);
  const perChoice = request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_COMPLETION_TOKENS_ESTIMATE;
  const completionTokens = perChoice * Math.max(1, request.n ?? 1);
  const costUsd = price ? (promptTokens * price.input + completionTokens * price.output) / 1_000_000 : 0;
  return { tokens: promptTokens + completionTokens, costUsd };
}
