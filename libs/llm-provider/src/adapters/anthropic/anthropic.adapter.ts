import { Injectable } from '@nestjs/common';
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion } from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { RemoteProviderAdapter } from '../shared/remote-provider.adapter';
import { StainlessErrorClasses, stainlessProviderError } from '../shared/sdk-error';
import { toAnthropicRequest } from './anthropic.request';
import { fromAnthropicMessage } from './anthropic.response';

const ANTHROPIC_ERRORS: StainlessErrorClasses = {
  APIUserAbortError,
  APIConnectionTimeoutError,
  APIConnectionError,
  APIError,
};

/**
 * Anthropic's Messages API through `@anthropic-ai/sdk`. Structured output uses a forced tool whose input
 * schema is the requested schema: every Claude model honours a forced tool_use, and its `input` is the
 * answer, returned as the message content.
 */
@Injectable()
export class AnthropicAdapter extends RemoteProviderAdapter<Anthropic> {
  constructor(config: AppConfig) {
    // baseURL and authToken given explicitly so the SDK reads no ANTHROPIC_* variable of its own.
    super(
      'anthropic',
      config.providers.anthropic,
      (apiKey, baseUrl) =>
        new Anthropic({
          apiKey,
          authToken: null,
          baseURL: baseUrl ?? 'https://api.anthropic.com',
          maxRetries: 0,
          timeout: config.resilience.llmTimeoutMs,
        }),
    );
  }

  protected async call(
    client: Anthropic,
    request: ProviderRequest,
    signal: AbortSignal,
  ): Promise<ChatCompletion> {
    const { params, structuredTool } = toAnthropicRequest(request);
    let message: Message;
    try {
      message = await client.messages.create(params, { signal });
    } catch (error) {
      throw anthropicProviderError(error, this.apiKey);
    }
    return fromAnthropicMessage(message, structuredTool);
  }
}

/** Sorts what the SDK threw; the message is Anthropic's own `error.message` from the error body. */
export function anthropicProviderError(error: unknown, apiKey?: string): ProviderError {
  return stainlessProviderError('anthropic', error, apiKey, ANTHROPIC_ERRORS, (body) => {
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  });
}
