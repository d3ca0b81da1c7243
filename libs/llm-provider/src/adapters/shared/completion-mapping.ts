import { ChatCompletionChoice, ChatCompletionUsage, ChatToolCall } from '@breakwater/contracts';

/** A function call the model made, in OpenAI's shape: its arguments as JSON text. */
export function functionToolCall(id: string, name: string, input: unknown): ChatToolCall {
  return { id, type: 'function', function: { name, arguments: JSON.stringify(input) } };
}

/** The assistant's message as OpenAI gives it: content null when the model only called tools. */
export function assistantMessage(text: string, toolCalls: ChatToolCall[]): ChatCompletionChoice['message'] {
  return {
    role: 'assistant',
    content: text || toolCalls.length === 0 ? text : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    refusal: null,
  };
}

export function completionUsage(promptTokens: number, completionTokens: number): ChatCompletionUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** `created` for a provider whose answer carries no time of its own: now, in Unix seconds as OpenAI's. */
export function createdNow(): number {
  return Math.floor(Date.now() / 1000);
}
