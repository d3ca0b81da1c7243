import { Injectable } from '@nestjs/common';
import { Caller, ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';
import { ProviderRegistry } from '@breakwater/llm-provider';

export interface ChatOutcome {
  completion: ChatCompletion;
  provider: string;
  model: string;
  costUsd: number;
}

/**
 * The request path, one named step per concern:
 *   caller (authenticated by CallerGuard) → resolve the model → provider call.
 * Limits, cache and queue join here as their libs land.
 */
@Injectable()
export class ChatService {
  constructor(private readonly providers: ProviderRegistry) {}

  async complete(_caller: Caller, request: ChatCompletionRequest, signal: AbortSignal): Promise<ChatOutcome> {
    const route = this.providers.resolve(request.model);
    const answer = await this.providers.complete(route, request, signal);
    return {
      completion: answer.completion,
      provider: answer.provider,
      model: answer.model,
      costUsd: answer.costUsd,
    };
  }
}
