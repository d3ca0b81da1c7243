import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatTool,
  ChatToolCall,
  EmbeddingList,
  EmbeddingRequest,
  FinishReason,
  embeddingInputs,
} from '@breakwater/contracts';
import { SchemaInstanceBoundError, schemaInstance } from '../json-schema-instance';
import { ProviderError } from '../provider-error';
import { completionChunks } from '../streaming/chunks';
import { estimatePromptTokens, estimateTokens, messageText } from '../token-estimate';
import { LlmProviderAdapter, ProviderRequest } from './llm-provider.adapter';
import { embeddingList, estimatedInputTokens } from './shared/embedding-mapping';
import { assistantMessage } from './shared/completion-mapping';
import { forcedFunctionName } from './shared/option-mapping';

/** The mock's vector length when a request sets no `dimensions`. */
export const MOCK_EMBEDDING_DIMENSIONS = 8;
/** The longest vector the mock makes: OpenAI's largest model's length. */
export const MAX_MOCK_EMBEDDING_DIMENSIONS = 3072;

/**
 * The development provider: answers in-process with content derived from the messages, so the same
 * conversation always gets the same answer and different ones differ. `MOCK_LATENCY_MS` and
 * `MOCK_FAILURE_RATE` shape it; `max_tokens` truncates it with finish_reason `length`. It calls tools
 * (arguments: an instance of the tool's `parameters`) and answers schemas, so clients' tool calling and
 * structured output work against it.
 */
@Injectable()
export class MockAdapter implements LlmProviderAdapter {
  readonly id = 'mock' as const;
  /** Off in production unless MOCK_PROVIDER_ENABLED=true: its answers are not a provider's. */
  readonly configured: boolean;

  constructor(private readonly config: AppConfig) {
    this.configured = config.mock.enabled;
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    await this.behave(signal);
    return this.answer(request);
  }

  /**
   * The same answer in chunks of a few words, with usage last. MOCK_FAILURE_RATE fails the call before the
   * first chunk; MOCK_LATENCY_MS is spread evenly across the chunks, so a stream takes as long as a whole
   * answer and its first chunk comes early.
   */
  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const { latencyMs } = this.config.mock;
    this.fail();
    const chunks = completionChunks(this.answer(request), { usage: true });
    const pause = latencyMs / chunks.length;
    for (const chunk of chunks) {
      if (pause > 0) await this.wait(pause, signal);
      yield chunk;
    }
  }

  /**
   * A unit vector per input, seeded by the input's SHA-256: the same text always gets the same vector,
   * different texts differ, and the length is `dimensions` (MOCK_EMBEDDING_DIMENSIONS by default).
   */
  async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList> {
    await this.behave(signal);
    const dimensions = request.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_MOCK_EMBEDDING_DIMENSIONS) {
      throw new ProviderError(
        'bad_request',
        `the mock makes vectors of 1 to ${MAX_MOCK_EMBEDDING_DIMENSIONS} dimensions, not ${dimensions}`,
        { status: 400 },
      );
    }
    const data = embeddingInputs(request).map((text, index) => ({
      object: 'embedding' as const,
      index,
      embedding: unitVector(text, dimensions),
    }));
    return embeddingList(request.model, data, estimatedInputTokens(request));
  }

  /** MOCK_LATENCY_MS and MOCK_FAILURE_RATE, as every call of the mock has them. */
  private async behave(signal: AbortSignal): Promise<void> {
    const { latencyMs } = this.config.mock;
    if (latencyMs > 0) await this.wait(latencyMs, signal);
    this.fail();
  }

  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => {
      throw new ProviderError('transient', 'mock provider timed out');
    });
  }

  private fail(): void {
    const { failureRate } = this.config.mock;
    if (failureRate > 0 && Math.random() < failureRate) {
      throw new ProviderError('transient', 'mock provider failure (MOCK_FAILURE_RATE)', { status: 503 });
    }
  }

  /**
   * The whole answer to `request`, made at once (no latency, no failure: behave() adds those); usage is
   * estimated from the text.
   */
  private answer(request: ProviderRequest): ChatCompletion {
    const digest = createHash('sha256').update(JSON.stringify(request.messages)).digest('hex').slice(0, 12);
    const { message, finishReason } = this.turn(request, digest);
    const promptTokens = estimatePromptTokens(request.messages);
    const completionTokens = estimateTokens(message.content ?? JSON.stringify(message.tool_calls));
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
      system_fingerprint: 'breakwater-mock',
    };
  }

  /** The assistant's turn: a call of the tool the request asks for (mockCalledTool), else content. */
  private turn(
    request: ProviderRequest,
    digest: string,
  ): { message: ChatCompletionChoice['message']; finishReason: FinishReason } {
    const tool = mockCalledTool(request);
    if (tool) {
      return { message: assistantMessage('', [this.toolCall(tool, digest)]), finishReason: 'tool_calls' };
    }
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
    const text = lastUser ? messageText(lastUser) : '';
    const { content, finishReason } = this.truncated(this.content(request, text, digest), request);
    return { message: assistantMessage(content, []), finishReason };
  }

  /** A call of `tool` whose arguments are an instance of its `parameters`. */
  private toolCall(tool: ChatTool, digest: string): ChatToolCall {
    const name = tool.function.name;
    const input = this.instanceOf(tool.function.parameters ?? { type: 'object' }, `${name}-${digest}`);
    return {
      id: `call_mock_${digest}_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`,
      type: 'function',
      function: { name, arguments: JSON.stringify(input) },
    };
  }

  private content(request: ProviderRequest, text: string, digest: string): string {
    const format = request.response_format;
    if (format?.type === 'json_schema') {
      return JSON.stringify(
        this.instanceOf(format.json_schema.schema ?? { type: 'object' }, `mock-${digest}`),
      );
    }
    if (format?.type === 'json_object') {
      const schema = jsonObjectSchemaOf(request);
      return JSON.stringify(schema ? this.instanceOf(schema, `mock-${digest}`) : { answer: text, digest });
    }
    return `mock-${digest}: ${text}`;
  }

  private instanceOf(schema: Record<string, unknown>, seed: string): unknown {
    try {
      return schemaInstance(schema, seed);
    } catch (error) {
      // Permanent: the same schema would cross the same bound on every retry.
      if (error instanceof SchemaInstanceBoundError) {
        throw new ProviderError('bad_request', `the mock cannot answer this schema: ${error.message}`, {
          status: 400,
        });
      }
      throw error;
    }
  }

  /** JSON answers are never cut (a cut would make them invalid); text answers honour max_tokens. */
  private truncated(
    content: string,
    request: ProviderRequest,
  ): { content: string; finishReason: FinishReason } {
    const limit = request.max_completion_tokens ?? request.max_tokens;
    const json = request.response_format && request.response_format.type !== 'text';
    if (limit === undefined || json || estimateTokens(content) <= limit)
      return { content, finishReason: 'stop' };
    return { content: content.slice(0, limit * 4), finishReason: 'length' };
  }
}

/**
 * The tool the mock (and the tests' OpenAI stub) calls, as a model would: the named one for a forced
 * `tool_choice`; for `required`, the one the last user message names, else the first; for `auto` (or no
 * choice), the one the last message names when that message is the user's (after a tool result the mock
 * answers in text, so an agent's loop ends). None with `tool_choice: none` or without tools; a forced
 * name not among the tools is refused, as OpenAI refuses it.
 */
export function mockCalledTool(request: ProviderRequest): ChatTool | undefined {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length === 0 || choice === 'none') return undefined;
  const forced = forcedFunctionName(choice);
  if (forced !== undefined) {
    const tool = tools.find((candidate) => candidate.function.name === forced);
    if (!tool) {
      throw new ProviderError('bad_request', `tool_choice names "${forced}", which is not among tools`, {
        status: 400,
      });
    }
    return tool;
  }
  const last = request.messages.at(-1);
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const named = lastUser ? namedTool(tools, messageText(lastUser)) : undefined;
  if (choice === 'required') return named ?? tools[0];
  return last?.role === 'user' ? named : undefined;
}

/** The first tool whose name the text holds as a word (`get_weather` in "call get_weather for Paris"). */
function namedTool(tools: ChatTool[], text: string): ChatTool | undefined {
  const words = new Set(text.match(/[A-Za-z0-9_-]+/g) ?? []);
  return tools.find((tool) => words.has(tool.function.name));
}

/**
 * The schema a `json_object` request wants, if it gives one: `response_format.schema` (a spelling some
 * providers take), else the first JSON Schema written into a system or developer message, as clients
 * that use JSON mode put it there.
 */
export function jsonObjectSchemaOf(request: ProviderRequest): Record<string, unknown> | undefined {
  const given: unknown = (request.response_format as { schema?: unknown } | undefined)?.schema;
  if (isRecord(given)) return given;
  for (const message of request.messages) {
    if (message.role !== 'system' && message.role !== 'developer') continue;
    const schema = firstSchemaIn(messageText(message));
    if (schema) return schema;
  }
  return undefined;
}

/**
 * The first top-level JSON object in `text` that looks like a JSON Schema (a `type`, `properties` or
 * `$schema`). One pass over the text: each outermost `{...}` (strings and escapes honoured) is parsed
 * once, so a long prompt costs linear time whatever its braces.
 */
function firstSchemaIn(text: string): Record<string, unknown> | undefined {
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = depth > 0;
    } else if (char === '{') {
      if (depth++ === 0) start = index;
    } else if (char === '}' && depth > 0 && --depth === 0) {
      const candidate = parsedObject(text.slice(start, index + 1));
      if (candidate && ('type' in candidate || 'properties' in candidate || '$schema' in candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function parsedObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `dimensions` components in [-1, 1) drawn from SHA-256 blocks of the text, scaled to length 1. */
function unitVector(text: string, dimensions: number): number[] {
  const components: number[] = [];
  for (let block = 0; components.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let offset = 0; offset < digest.length && components.length < dimensions; offset += 4) {
      components.push(digest.readUInt32BE(offset) / 2 ** 31 - 1);
    }
  }
  const norm = Math.hypot(...components) || 1;
  return components.map((value) => value / norm);
}
