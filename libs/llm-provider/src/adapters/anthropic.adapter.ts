import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import type {
  Base64ImageSource,
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  StopReason,
  Tool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatContentPart,
  ChatMessage,
  ChatTool,
  ChatToolCall,
  FinishReason,
} from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../provider-error';
import { messageText } from '../token-estimate';
import { LlmProviderAdapter, ProviderRequest } from './llm-provider.adapter';
import { causeCode, notConfigured, redact } from './openai-compatible.base';

/** Anthropic requires max_tokens; OpenAI callers usually leave it out. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** The forced tool standing in for `response_format: json_object`, which has no schema or name of its own. */
export const JSON_OBJECT_TOOL = 'json_object';

const IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** What goes to the Messages API, and the name of the tool that carries a structured answer, if any. */
export interface AnthropicCall {
  params: MessageCreateParamsNonStreaming;
  structuredTool?: string;
}

/**
 * Anthropic's Messages API through `@anthropic-ai/sdk`. Structured output uses a forced tool whose input
 * schema is the requested schema: every Claude model honours a forced tool_use, and its `input` is the
 * answer, returned as the message content.
 */
@Injectable()
export class AnthropicAdapter implements LlmProviderAdapter {
  readonly id = 'anthropic' as const;
  readonly configured: boolean;
  private readonly client?: Anthropic;
  private readonly apiKey?: string;

  constructor(config: AppConfig) {
    const { apiKey, baseUrl } = config.providers.anthropic;
    this.apiKey = apiKey;
    this.configured = Boolean(apiKey);
    // baseURL and authToken given explicitly so the SDK reads no ANTHROPIC_* variable of its own.
    this.client = apiKey
      ? new Anthropic({
          apiKey,
          authToken: null,
          baseURL: baseUrl ?? 'https://api.anthropic.com',
          maxRetries: 0,
          timeout: config.resilience.llmTimeoutMs,
        })
      : undefined;
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    if (!this.client) throw notConfigured(this.id);
    const { params, structuredTool } = toAnthropicRequest(request);
    let message: Message;
    try {
      message = await this.client.messages.create(params, { signal });
    } catch (error) {
      throw anthropicProviderError(error, this.apiKey);
    }
    return fromAnthropicMessage(message, structuredTool);
  }
}

export function toAnthropicRequest(request: ProviderRequest): AnthropicCall {
  const { system, messages } = toAnthropicMessages(request.messages);
  const structured = structuredOutputTool(request);
  const tools = [...(request.tools ?? []).map(toAnthropicTool), ...(structured ? [structured] : [])];
  const toolChoice = structured
    ? { type: 'tool' as const, name: structured.name }
    : toAnthropicToolChoice(request.tool_choice);
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  const params: MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
    ...(system ? { system } : {}),
    // Anthropic's range is 0..1 where OpenAI's is 0..2; clamping keeps a valid request meaning "most random".
    ...(request.temperature !== undefined
      ? { temperature: Math.min(1, Math.max(0, request.temperature)) }
      : {}),
    // Recent Claude models refuse temperature and top_p together; temperature is the one callers mean.
    ...(request.top_p !== undefined && request.temperature === undefined ? { top_p: request.top_p } : {}),
    ...(stop && stop.length > 0 ? { stop_sequences: stop } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice && tools.length > 0 ? { tool_choice: toolChoice } : {}),
    ...(request.user ? { metadata: { user_id: request.user } } : {}),
  };
  return { params, structuredTool: structured?.name };
}

/**
 * System and developer messages become the top-level `system`; tool results become user turns of
 * tool_result blocks; consecutive turns of one role merge, since Anthropic alternates user and assistant.
 */
export function toAnthropicMessages(messages: ChatMessage[]): { system?: string; messages: MessageParam[] } {
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(messageText(message));
        break;
      case 'assistant':
        push('assistant', [...contentBlocks(message.content), ...toolUseBlocks(message.tool_calls)]);
        break;
      case 'tool':
        push('user', [
          { type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content: messageText(message) },
        ]);
        break;
      default:
        push('user', contentBlocks(message.content));
    }
  }
  const joined = system.filter(Boolean).join('\n\n');
  return {
    ...(joined ? { system: joined } : {}),
    // A turn of one text block goes as a plain string, the form Anthropic documents.
    messages: turns.map(({ role, content }) =>
      content.length === 1 && content[0].type === 'text'
        ? { role, content: content[0].text }
        : { role, content },
    ),
  };
}

function contentBlocks(content: ChatMessage['content']): ContentBlockParam[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return (content ?? []).flatMap((part): ContentBlockParam[] => {
    if (typeof part.text === 'string') return part.text ? [{ type: 'text', text: part.text }] : [];
    const image = imageBlock(part);
    return image ? [image] : [];
  });
}

function imageBlock(part: ChatContentPart): ContentBlockParam | undefined {
  if (part.type !== 'image_url') return undefined;
  const url = (part.image_url as { url?: unknown } | undefined)?.url;
  if (typeof url !== 'string') return undefined;
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data && IMAGE_TYPES.includes(data[1])) {
    const media = data[1] as Base64ImageSource['media_type'];
    return { type: 'image', source: { type: 'base64', media_type: media, data: data[2] } };
  }
  return /^https?:\/\//.test(url) ? { type: 'image', source: { type: 'url', url } } : undefined;
}

function toolUseBlocks(calls: ChatToolCall[] | undefined): ContentBlockParam[] {
  return (calls ?? []).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.function.name,
    input: parsedArguments(call.function.arguments),
  }));
}

function parsedArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
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
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  return typeof name === 'string' ? { type: 'tool', name } : undefined;
}

/** The forced tool carrying a `json_schema` or `json_object` answer, or nothing for text. */
export function structuredOutputTool(request: ProviderRequest): Tool | undefined {
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

export function fromAnthropicMessage(message: Message, structuredTool?: string): ChatCompletion {
  const forced = structuredTool
    ? message.content.find((block) => block.type === 'tool_use' && block.name === structuredTool)
    : undefined;
  let content: string | null;
  let toolCalls: ChatToolCall[] = [];
  if (forced?.type === 'tool_use') {
    content = JSON.stringify(forced.input);
  } else {
    const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    toolCalls = message.content.flatMap((block) =>
      block.type === 'tool_use'
        ? [
            {
              id: block.id,
              type: 'function' as const,
              function: { name: block.name, arguments: JSON.stringify(block.input) },
            },
          ]
        : [],
    );
    content = text || toolCalls.length === 0 ? text : null;
  }
  const usage = message.usage;
  // OpenAI's prompt_tokens include cached tokens; Anthropic counts cache writes and reads apart.
  const promptTokens =
    usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  return {
    id: message.id || `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: anthropicFinishReason(message.stop_reason, Boolean(forced)),
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: usage.output_tokens,
      total_tokens: promptTokens + usage.output_tokens,
    },
  };
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

/** Sorts what the SDK threw; the message is Anthropic's own `error.message` from the error body. */
export function anthropicProviderError(error: unknown, apiKey?: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError) {
    return new ProviderError('transient', 'anthropic: request aborted (attempt timeout or cancelled)', {
      cause: error,
    });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderError('transient', 'anthropic: request timed out', { cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new ProviderError('transient', `anthropic: connection failed${causeCode(error)}`, {
      cause: error,
    });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const body = error.error as { error?: { message?: unknown } } | undefined;
    const message =
      typeof body?.error?.message === 'string' ? body.error.message : error.message.replace(/^\d{3}\s*/, '');
    // No `cause`: the SDK error holds the provider's unredacted body, which a logger would print.
    return providerErrorFromStatus(error.status, redact(`anthropic: ${message}`, apiKey), error.headers);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ProviderError('transient', `anthropic: call failed (${name})`, { cause: error });
}
