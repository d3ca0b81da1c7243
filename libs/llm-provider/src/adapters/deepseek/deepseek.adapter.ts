import { Injectable } from '@nestjs/common';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { AppConfig } from '@breakwater/config';
import { ChatMessage } from '@breakwater/contracts';
import { messageText } from '../../token-estimate';
import { ProviderRequest } from '../llm-provider.adapter';
import { OpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible.base';
import { openAiRequestBody } from '../openai-compatible/openai-compatible.request';

/**
 * DeepSeek: OpenAI's API, except that its JSON mode knows only `json_object`, and refuses it unless the
 * prompt says "json". A `json_schema` request therefore goes as `json_object` with the schema in a system
 * message; the registry still validates the answer against the schema.
 */
@Injectable()
export class DeepSeekAdapter extends OpenAiCompatibleAdapter {
  constructor(config: AppConfig) {
    super('deepseek', config.providers.deepseek, {
      defaultBaseUrl: 'https://api.deepseek.com',
      timeoutMs: config.resilience.llmTimeoutMs,
    });
  }

  protected override requestBody(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
    return openAiRequestBody(deepSeekRequest(request));
  }
}

/** The request with its structured-output ask rewritten into what DeepSeek's JSON mode accepts. */
export function deepSeekRequest(request: ProviderRequest): ProviderRequest {
  const format = request.response_format;
  if (!format || format.type === 'text') return request;
  let instruction: string | undefined;
  if (format.type === 'json_schema') {
    const { name, description, schema } = format.json_schema;
    instruction =
      `Reply with one JSON object only, "${name}"${description ? ` (${description})` : ''}, ` +
      `valid against this JSON Schema:\n${JSON.stringify(schema ?? { type: 'object' })}`;
  } else if (!request.messages.some((message) => /json/i.test(messageText(message)))) {
    instruction = 'Reply with one JSON object only.';
  }
  const messages: ChatMessage[] = instruction
    ? [{ role: 'system', content: instruction }, ...request.messages]
    : request.messages;
  return { ...request, messages, response_format: { type: 'json_object' } };
}
