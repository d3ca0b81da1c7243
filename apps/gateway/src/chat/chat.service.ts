import { Injectable } from '@nestjs/common';
import { Caller, ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';
import { ProviderRegistry } from '@breakwater/llm-provider';
import { RequestDirectives } from './request-directives';

export interface ChatOutcome {
  completion: ChatCompletion;
  provider: string;
  model: string;
  costUsd: number;
}

/**
 * The request path, one named step per concern:
 *   caller (authenticated by CallerGuard) → resolve the model and its fallbacks → provider call
 *   (breaker, retries, structured-output repair, fallbacks: all in the registry).
 * Limits, cache and queue join here as their libs land.
 */
@Injectable()
export class ChatService {
  constructor(private readonly providers: ProviderRegistry) {}

  async complete(
    _caller: Caller,
    request: ChatCompletionRequest,
    directives: RequestDirectives,
    signal: AbortSignal,
  ): Promise<ChatOutcome> {
    const route = this.providers.resolve(request.model);
    const fallbacks = directives.fallbackModels.map((model) =>
      this.providers.resolve(model, 'x-fallback-models'),
    );
    this.providers.assertResponseFormat(request);
    const answer = await this.providers.complete(route, request, { fallbacks, signal });
    return {
      completion: answer.completion,
      provider: answer.provider,
      model: answer.model,
      costUsd: answer.costUsd,
    };
  }
}
