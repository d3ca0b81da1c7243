import type {
  Base64ImageSource,
  ContentBlockParam,
  MessageCreateParamsNonStreaming,
  MessageParam,
  Tool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { ChatMessage, ChatTool, ChatToolCall } from '@breakwater/contracts';
import { ANTHROPIC_FIELDS, takes } from '../../dropped-params';
import { messageText } from '../../token-estimate';
import { ProviderRequest } from '../llm-provider.adapter';
import { parseDataUrl } from '../shared/data-url';
import { ContentSpelling, contentBlocks, jsonObject, toTurns } from '../shared/message-mapping';
import { forcedFunctionName, stopSequences } from '../shared/option-mapping';

/** Anthropic requires max_tokens; OpenAI callers usually leave it out. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** The forced tool standing in for `response_format: json_object`, which has no schema or name of its own. */
const JSON_OBJECT_TOOL = 'json_object';

const IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** What goes to the Messages API, and the name of the tool that carries a structured answer, if any. */
export interface AnthropicCall {
  params: MessageCreateParamsNonStreaming;
  structuredTool?: string;
}

/**
 * The Messages API request. Which OpenAI fields it carries is ANTHROPIC_FIELDS' decision (shared with
 * droppedParams, which names the rest to the caller); this maps those.
 */
export function toAnthropicRequest(request: ProviderRequest): AnthropicCall {
  const { system, messages } = toAnthropicMessages(request.messages);
  const structured = structuredOutputTool(request);
  const tools = [...(request.tools ?? []).map(toAnthropicTool), ...(structured ? [structured] : [])];
  const toolChoice = withParallelCalls(
    structured
      ? { type: 'tool' as const, name: structured.name }
      : toAnthropicToolChoice(request.tool_choice),
    request.parallel_tool_calls,
  );
  const stop = stopSequences(request.stop);
  const params: MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
    ...(system ? { system } : {}),
    // Anthropic's range is 0..1 where OpenAI's is 0..2; clamping keeps a valid request meaning "most random".
    ...(request.temperature !== undefined
      ? { temperature: Math.min(1, Math.max(0, request.temperature)) }
      : {}),
    ...(request.top_p !== undefined && takes(ANTHROPIC_FIELDS, 'top_p', request)
      ? { top_p: request.top_p }
      : {}),
    ...(stop && stop.length > 0 ? { stop_sequences: stop } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice && tools.length > 0 ? { tool_choice: toolChoice } : {}),
    ...(request.user ? { metadata: { user_id: request.user } } : {}),
  };
  return { params, structuredTool: structured?.name };
}

/** OpenAI's `parallel_tool_calls: false` is Anthropic's `disable_parallel_tool_use`, a tool_choice option. */
function withParallelCalls(
  choice: ToolChoice | undefined,
  parallel: boolean | undefined,
): ToolChoice | undefined {
  if (parallel !== false) return choice;
  const base: ToolChoice = choice ?? { type: 'auto' };
  return base.type === 'none' ? base : { ...base, disable_parallel_tool_use: true };
}

const ANTHROPIC_CONTENT: ContentSpelling<ContentBlockParam> = {
  text: (text) => ({ type: 'text', text }),
  image: (url) => {
    const data = parseDataUrl(url);
    if (data && IMAGE_TYPES.includes(data.mediaType)) {
      const media = data.mediaType as Base64ImageSource['media_type'];
      return { type: 'image', source: { type: 'base64', media_type: media, data: data.data } };
    }
    return /^https?:\/\//.test(url) ? { type: 'image', source: { type: 'url', url } } : undefined;
  },
};

/**
 * System and developer messages become the top-level `system`; tool results become user turns of
 * tool_result blocks; consecutive turns of one role merge, since Anthropic alternates user and assistant.
 */
function toAnthropicMessages(messages: ChatMessage[]): { system?: string; messages: MessageParam[] } {
  const { system, turns } = toTurns<'user' | 'assistant', ContentBlockParam>(messages, {
    userRole: 'user',
    assistantRole: 'assistant',
    user: (message) => contentBlocks(message.content, ANTHROPIC_CONTENT),
    assistant: (message) => [
      ...contentBlocks(message.content, ANTHROPIC_CONTENT),
      ...toolUseBlocks(message.tool_calls),
    ],
    tool: (message) => [
      { type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content: messageText(message) },
    ],
  });
  return {
    ...(system ? { system } : {}),
    // A turn of one text block goes as a plain string, the form Anthropic documents.
    messages: turns.map(({ role, blocks }) =>
      blocks.length === 1 && blocks[0].type === 'text'
        ? { role, content: blocks[0].text }
        : { role, content: blocks },
    ),
  };
}

function toolUseBlocks(calls: ChatToolCall[] | undefined): ContentBlockParam[] {
  return (calls ?? []).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.function.name,
    input: jsonObject(call.function.arguments),
  }));
}

function toAnthropicTool(tool: ChatTool): Tool {
  return {
    name: tool.function.name,
    ...(tool.function.description ? { description: tool.function.description } : {}),
    input_schema: (tool.function.parameters ?? { type: 'object', properties: {} }) as Tool.InputSchema,
  };
}

function toAnthropicToolChoice(choice: unknown): ToolChoice | undefined {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  const name = forcedFunctionName(choice);
  return name === undefined ? undefined : { type: 'tool', name };
}

/** The forced tool carrying a `json_schema` or `json_object` answer, or nothing for text. */
function structuredOutputTool(request: ProviderRequest): Tool | undefined {
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    const { name, description, schema } = format.json_schema;
    return {
      name,
      description: description ?? "Give the answer as this tool's input.",
      input_schema: (schema ?? { type: 'object' }) as Tool.InputSchema,
    };
  }
  if (format?.type === 'json_object') {
    return {
      name: JSON_OBJECT_TOOL,
      description: "Give the answer as this tool's input: one JSON object.",
      input_schema: { type: 'object' },
    };
  }
  return undefined;
}
