import { randomUUID } from 'node:crypto';
import type { Message, StopReason, Usage } from '@anthropic-ai/sdk/resources/messages';
import { ChatCompletion, ChatToolCall, FinishReason } from '@breakwater/contracts';
import {
  assistantMessage,
  completionUsage,
  createdNow,
  functionToolCall,
} from '../shared/completion-mapping';

export function fromAnthropicMessage(message: Message, structuredTool?: string): ChatCompletion {
  const forced = structuredTool
    ? message.content.find((block) => block.type === 'tool_use' && block.name === structuredTool)
    : undefined;
  let text: string;
  let toolCalls: ChatToolCall[] = [];
  if (forced?.type === 'tool_use') {
    text = JSON.stringify(forced.input);
  } else {
    text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    toolCalls = message.content.flatMap((block) =>
      block.type === 'tool_use' ? [functionToolCall(block.id, block.name, block.input)] : [],
    );
  }
  const usage = message.usage;
  const promptTokens = anthropicPromptTokens(usage);
  return {
    id: message.id || `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: createdNow(),
    model: message.model,
    choices: [
      {
        index: 0,
        message: assistantMessage(text, toolCalls),
        finish_reason: anthropicFinishReason(message.stop_reason, Boolean(forced)),
        logprobs: null,
      },
    ],
    usage: completionUsage(promptTokens, usage.output_tokens),
  };
}

/** OpenAI's prompt_tokens include cached tokens; Anthropic counts cache writes and reads apart. */
export function anthropicPromptTokens(
  usage: Pick<Usage, 'input_tokens'> &
    Partial<Pick<Usage, 'cache_creation_input_tokens' | 'cache_read_input_tokens'>>,
): number {
  return usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

/** `structured`: the tool_use was the forced structured-output tool, so the answer is complete text. */
export function anthropicFinishReason(reason: StopReason | null, structured = false): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return structured ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}
