import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  ApiError,
  Content,
  FunctionCallingConfigMode,
  GenerateContentConfig,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
  Part,
  ToolConfig,
} from '@google/genai';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionChoice,
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  FinishReason,
} from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../provider-error';
import { estimatePromptTokens, estimateTokens, messageText } from '../token-estimate';
import { LlmProviderAdapter, ProviderRequest } from './llm-provider.adapter';
import { causeCode, notConfigured, redact } from './openai-compatible.base';

const CONTENT_FILTER_REASONS: readonly string[] = [
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
];

/**
 * Gemini rejects a replayed function call without the thought signature it was issued with (Gemini 3);
 * OpenAI's tool_calls cannot carry one, so history gets the validator-skipping value Google documents
 * for conversations built elsewhere.
 */
const REPLAYED_CALL_SIGNATURE = 'skip_thought_signature_validator';

/**
 * Google's Gemini API through `@google/genai`. `GEMINI_BASE_URL` is the host root (the SDK appends
 * `/v1beta/models/<model>:generateContent`). Structured output is native: `responseMimeType` JSON with the
 * caller's schema as `responseJsonSchema`, which takes plain JSON Schema (`responseSchema` would need
 * Google's OpenAPI-subset `Schema`).
 */
@Injectable()
export class GeminiAdapter implements LlmProviderAdapter {
  readonly id = 'gemini' as const;
  readonly configured: boolean;
  private readonly client?: GoogleGenAI;
  private readonly apiKey?: string;

  constructor(config: AppConfig) {
    const { apiKey, baseUrl } = config.providers.gemini;
    this.apiKey = apiKey;
    this.configured = Boolean(apiKey);
    // No `retryOptions`: without them the SDK sends once (with them it would retry, and replace the
    // status-bearing ApiError of a retryable status with a plain Error). `vertexai` and `baseUrl` given
    // explicitly so the SDK reads no GOOGLE_* variable of its own.
    this.client = apiKey
      ? new GoogleGenAI({
          apiKey,
          vertexai: false,
          httpOptions: {
            baseUrl: baseUrl ?? 'https://generativelanguage.googleapis.com',
            timeout: config.resilience.llmTimeoutMs,
          },
        })
      : undefined;
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    if (!this.client) throw notConfigured(this.id);
    // The SDK listens for a later 'abort' only: a signal already aborted would not stop the request.
    if (signal.aborted) throw new ProviderError('transient', 'gemini: request aborted before it was sent');
    let response: GenerateContentResponse;
    try {
      response = await this.client.models.generateContent(toGeminiRequest(request, signal));
    } catch (error) {
      throw geminiProviderError(error, this.apiKey);
    }
    return fromGeminiResponse(response, request);
  }
}

export function toGeminiRequest(request: ProviderRequest, signal?: AbortSignal): GenerateContentParameters {
  const { systemInstruction, contents } = toGeminiContents(request.messages);
  const format = request.response_format;
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens;
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  const tools = request.tools ?? [];
  const toolConfig = toGeminiToolConfig(request.tool_choice);
  const config: GenerateContentConfig = {
    ...(signal ? { abortSignal: signal } : {}),
    ...(systemInstruction ? { systemInstruction } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { topP: request.top_p } : {}),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    ...(stop && stop.length > 0 ? { stopSequences: stop } : {}),
    ...(request.n !== undefined ? { candidateCount: request.n } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.presence_penalty !== undefined ? { presencePenalty: request.presence_penalty } : {}),
    ...(request.frequency_penalty !== undefined ? { frequencyPenalty: request.frequency_penalty } : {}),
    ...(format?.type === 'json_object' ? { responseMimeType: 'application/json' } : {}),
    ...(format?.type === 'json_schema'
      ? {
          responseMimeType: 'application/json',
          responseJsonSchema: format.json_schema.schema ?? { type: 'object' },
        }
      : {}),
    ...(tools.length > 0
      ? {
          tools: [
            {
              functionDeclarations: tools.map((tool) => ({
                name: tool.function.name,
                ...(tool.function.description ? { description: tool.function.description } : {}),
                ...(tool.function.parameters ? { parametersJsonSchema: tool.function.parameters } : {}),
              })),
            },
          ],
        }
      : {}),
    ...(toolConfig && tools.length > 0 ? { toolConfig } : {}),
  };
  return { model: request.model, contents, config };
}

/**
 * user → 'user', assistant → 'model', system and developer → `systemInstruction`; tool results become
 * functionResponse parts of a user turn, named after the call they answer. Consecutive turns of one role
 * merge, as Gemini alternates them.
 */
export function toGeminiContents(messages: ChatMessage[]): {
  systemInstruction?: string;
  contents: Content[];
} {
  const system: string[] = [];
  const contents: (Content & { parts: Part[] })[] = [];
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(messageText(message));
        break;
      case 'assistant':
        for (const call of message.tool_calls ?? []) callNames.set(call.id, call.function.name);
        push('model', [...geminiParts(message.content), ...functionCallParts(message.tool_calls)]);
        break;
      case 'tool': {
        const name =
          callNames.get(message.tool_call_id ?? '') ?? message.name ?? message.tool_call_id ?? 'tool';
        push('user', [{ functionResponse: { name, response: functionResponse(messageText(message)) } }]);
        break;
      }
      default:
        push('user', geminiParts(message.content));
    }
  }
  const joined = system.filter(Boolean).join('\n\n');
  return { ...(joined ? { systemInstruction: joined } : {}), contents };
}

function geminiParts(content: ChatMessage['content']): Part[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  return (content ?? []).flatMap((part): Part[] => {
    if (typeof part.text === 'string') return part.text ? [{ text: part.text }] : [];
    const image = imagePart(part);
    return image ? [image] : [];
  });
}

function imagePart(part: ChatContentPart): Part | undefined {
  if (part.type !== 'image_url') return undefined;
  const url = (part.image_url as { url?: unknown } | undefined)?.url;
  if (typeof url !== 'string') return undefined;
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return data ? { inlineData: { mimeType: data[1], data: data[2] } } : { fileData: { fileUri: url } };
}

function functionCallParts(calls: ChatToolCall[] | undefined): Part[] {
  return (calls ?? []).map((call) => ({
    functionCall: { name: call.function.name, args: jsonObject(call.function.arguments) },
    thoughtSignature: REPLAYED_CALL_SIGNATURE,
  }));
}

/** Gemini wants an object; a tool's text that is not one goes as `{output}`, the key Google documents. */
function functionResponse(text: string): Record<string, unknown> {
  const parsed = jsonObject(text);
  return Object.keys(parsed).length > 0 ? parsed : { output: text };
}

function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function toGeminiToolConfig(choice: unknown): ToolConfig | undefined {
  const mode = {
    auto: FunctionCallingConfigMode.AUTO,
    required: FunctionCallingConfigMode.ANY,
    none: FunctionCallingConfigMode.NONE,
  };
  if (typeof choice === 'string' && choice in mode) {
    return { functionCallingConfig: { mode: mode[choice as keyof typeof mode] } };
  }
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  return typeof name === 'string'
    ? { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: [name] } }
    : undefined;
}

export function fromGeminiResponse(
  response: GenerateContentResponse,
  request: ProviderRequest,
): ChatCompletion {
  const id = response.responseId ?? randomUUID();
  const candidates = response.candidates ?? [];
  const choices: ChatCompletionChoice[] =
    candidates.length > 0
      ? candidates.map((candidate, position) => {
          const parts = candidate.content?.parts ?? [];
          const text = parts
            .flatMap((part) => (typeof part.text === 'string' && !part.thought ? [part.text] : []))
            .join('');
          const calls = parts.flatMap((part, index): ChatToolCall[] =>
            part.functionCall?.name
              ? [
                  {
                    id: part.functionCall.id ?? `call_${id}_${position}_${index}`,
                    type: 'function',
                    function: {
                      name: part.functionCall.name,
                      arguments: JSON.stringify(part.functionCall.args ?? {}),
                    },
                  },
                ]
              : [],
          );
          return {
            index: candidate.index ?? position,
            message: {
              role: 'assistant',
              content: text || calls.length === 0 ? text : null,
              ...(calls.length > 0 ? { tool_calls: calls } : {}),
              refusal: null,
            },
            // Gemini says STOP after a function call; OpenAI callers look for tool_calls.
            finish_reason: calls.length > 0 ? 'tool_calls' : geminiFinishReason(candidate.finishReason),
            logprobs: null,
          };
        })
      : // No candidate at all: the prompt itself was blocked (promptFeedback.blockReason).
        [
          {
            index: 0,
            message: { role: 'assistant', content: null, refusal: null },
            finish_reason: response.promptFeedback?.blockReason ? 'content_filter' : 'stop',
            logprobs: null,
          },
        ];
  const usage = response.usageMetadata;
  const content = choices.map((choice) => choice.message.content ?? '').join('');
  const promptTokens = usage?.promptTokenCount ?? estimatePromptTokens(request.messages);
  // Thinking tokens are billed as output, as OpenAI's reasoning tokens are counted in completion_tokens.
  const completionTokens = usage
    ? (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0)
    : estimateTokens(content);
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? request.model,
    choices,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

export function geminiFinishReason(reason: string | undefined): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && CONTENT_FILTER_REASONS.includes(reason)) return 'content_filter';
  return 'stop';
}

interface GoogleErrorBody {
  error?: {
    message?: unknown;
    status?: unknown;
    details?: { '@type'?: unknown; reason?: unknown; retryDelay?: unknown }[];
  };
}

/**
 * Sorts what the SDK threw. Its ApiError carries the status and the error body as JSON text, but not
 * the response headers, so a 429's wait comes from the body's RetryInfo `retryDelay`, where Google puts
 * it. Google answers an invalid key with 400 API_KEY_INVALID: an auth failure, not a bad request.
 */
export function geminiProviderError(error: unknown, apiKey?: string): ProviderError {
  if (error instanceof ProviderError) return error;
  // No `cause` on HTTP failures: the ApiError holds the provider's unredacted body, which a logger would print.
  if (error instanceof ApiError) {
    const body = parsedErrorBody(error.message);
    const details = Array.isArray(body?.error?.details) ? body.error.details : [];
    const message = redact(
      `gemini: ${typeof body?.error?.message === 'string' ? body.error.message : error.message}`,
      apiKey,
    );
    if (details.some((detail) => detail.reason === 'API_KEY_INVALID')) {
      return new ProviderError('auth', `${error.status} ${message}`, { status: error.status });
    }
    const retryInfo = details.find((detail) => String(detail['@type']).endsWith('google.rpc.RetryInfo'));
    const delayMs = durationMs(retryInfo?.retryDelay);
    return providerErrorFromStatus(
      error.status,
      message,
      delayMs === undefined ? undefined : { 'retry-after-ms': String(delayMs) },
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new ProviderError('transient', 'gemini: request aborted or timed out', { cause: error });
  }
  if (error instanceof TypeError) {
    return new ProviderError('transient', `gemini: connection failed${causeCode(error)}`, { cause: error });
  }
  return new ProviderError('transient', `gemini: call failed (${name})`, { cause: error });
}

function parsedErrorBody(text: string): GoogleErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as GoogleErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** A protobuf Duration as JSON (`"17s"`, `"0.5s"`) in milliseconds. */
function durationMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}
