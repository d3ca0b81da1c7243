import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { REASONING_UNSUPPORTED, isOpenAiReasoningModel } from '../../dropped-params';
import { ProviderRequest } from '../llm-provider.adapter';

/** Set by the adapter for a streamed call only; a caller's value never decides how the answer comes back. */
const STREAM_FIELDS = ['stream', 'stream_options'];

/**
 * OpenAI's request: every field as the caller sent it, OpenAI's own and vendor extensions alike
 * (OpenRouter's `provider` and `transforms`, DeepSeek's `thinking`), since it already is the provider's
 * wire format; the gateway validated only what it acts on. Two rewrites: the stream fields are left out
 * (the streaming call sets its own), and for an OpenAI reasoning model `max_tokens` is sent as
 * `max_completion_tokens` and the fields those models refuse are left out (see droppedParams).
 */
export function openAiRequestBody(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
  const reasoning = isOpenAiReasoningModel(request.model);
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || STREAM_FIELDS.includes(field)) continue;
    if (reasoning && REASONING_UNSUPPORTED.includes(field)) continue;
    body[field] = value;
  }
  if (reasoning && body.max_tokens !== undefined) {
    body.max_completion_tokens ??= body.max_tokens;
    delete body.max_tokens;
  }
  return body as unknown as ChatCompletionCreateParamsNonStreaming;
}
