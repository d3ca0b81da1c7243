import { Injectable } from '@nestjs/common';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk/core/error';
import type { Message, MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion, ChatCompletionChunk } from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { ProviderTransport } from '../shared/provider-transport';
import { RemoteProviderAdapter } from '../shared/remote-provider.adapter';
import { StainlessErrorClasses, stainlessProviderError } from '../shared/sdk-error';
import { toAnthropicRequest } from './anthropic.request';
import { fromAnthropicMessage } from './anthropic.response';
import { anthropicChunks } from './anthropic.stream';

const ANTHROPIC_ERRORS: StainlessErrorClasses = {
  APIUserAbortError,
  APIConnectionTimeoutError,
  APIConnectionError,
  APIError,
};

/**
 * Anthropic's Messages API, `POST /v1/messages` over a ProviderTransport rather than the
 * `@anthropic-ai/sdk` client (a Stainless SDK on fetch, with the same per-call cost as `openai`'s); the
 * SDK's types and error classes stay. Structured output uses a forced tool whose input schema is the
 * requested schema: every Claude model honours a forced tool_use, and its `input` is the answer, returned
 * as the message content.
 */
@Injectable()
export class AnthropicAdapter extends RemoteProviderAdapter<ProviderTransport> {
  constructor(config: AppConfig) {
    super(
      'anthropic',
      config.providers.anthropic,
      (apiKey, baseUrl) =>
        new ProviderTransport({
          id: 'anthropic',
          baseUrl: baseUrl ?? 'https://api.anthropic.com',
          // The API version the SDK pins, so requests and answers keep the shapes of its types.
          headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' },
          timeoutMs: config.resilience.llmTimeoutMs,
          errors: ANTHROPIC_ERRORS,
        }),
    );
  }

  protected async call(
    transport: ProviderTransport,
    request: ProviderRequest,
    signal: AbortSignal,
  ): Promise<ChatCompletion> {
    const { params, structuredTool } = toAnthropicRequest(request);
    let message: Message;
    try {
      message = await transport.post<Message>('/v1/messages', params, signal);
    } catch (error) {
      throw anthropicProviderError(error, this.apiKey);
    }
    return fromAnthropicMessage(message, structuredTool);
  }

  /**
   * The same request with `stream: true`: the Messages stream read as server-sent events and mapped to
   * chunks (anthropic.stream.ts). Anthropic always reports usage in the stream, so nothing need be asked.
   */
  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const { params, structuredTool } = toAnthropicRequest(request);
    const body: MessageCreateParamsStreaming = { ...params, stream: true };
    try {
      yield* anthropicChunks(
        this.connected().events('/v1/messages', body, signal),
        structuredTool,
        this.apiKey,
      );
    } catch (error) {
      throw anthropicProviderError(error, this.apiKey);
    }
  }

  protected override disconnect(transport: ProviderTransport): Promise<void> {
    return transport.close();
  }
}

/** Sorts a failure in the SDK's classes; the message is Anthropic's own `error.message` from the error body. */
export function anthropicProviderError(error: unknown, apiKey?: string): ProviderError {
  return stainlessProviderError('anthropic', error, apiKey, ANTHROPIC_ERRORS, (body) => {
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  });
}
