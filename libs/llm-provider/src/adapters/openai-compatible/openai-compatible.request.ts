import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { ProviderRequest } from '../llm-provider.adapter';

/** OpenAI's request, as the SDK takes it: the generation parameters the request carries, nothing else. */
export function openAiRequestBody(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
  const body: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    // The gateway validated OpenAI's own message shape; passing it through keeps image parts, names and
    // tool turns exactly as the caller sent them.
    messages: request.messages as ChatCompletionMessageParam[],
    temperature: request.temperature,
    top_p: request.top_p,
    n: request.n,
    max_tokens: request.max_tokens,
    max_completion_tokens: request.max_completion_tokens,
    stop: request.stop,
    presence_penalty: request.presence_penalty,
    frequency_penalty: request.frequency_penalty,
    seed: request.seed,
    user: request.user,
    response_format: request.response_format,
    tools: request.tools,
    tool_choice: request.tool_choice as ChatCompletionToolChoiceOption | undefined,
  };
  return Object.fromEntries(
    Object.entries(body).filter(([, value]) => value !== undefined),
  ) as ChatCompletionCreateParamsNonStreaming;
}
