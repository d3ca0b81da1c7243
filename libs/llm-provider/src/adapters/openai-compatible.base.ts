import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletion as OpenAiCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { ProviderSettings } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionChoice,
  ChatToolCall,
  FinishReason,
  RemoteProviderId,
} from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../provider-error';
import { estimatePromptTokens, estimateTokens } from '../token-estimate';
import { LlmProviderAdapter, ProviderRequest } from './llm-provider.adapter';

export interface OpenAiCompatibleOptions {
  /** Where the API lives when `<P>_BASE_URL` is unset: the full base as the SDK takes it (with `/v1`). */
  defaultBaseUrl: string;
  /** One attempt's budget (LLM_TIMEOUT_SECONDS), the SDK's own timeout. */
  timeoutMs: number;
  /** Sent with every request (OpenRouter's attribution). */
  headers?: Record<string, string>;
}

const FINISH_REASONS: readonly string[] = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'];

/**
 * Providers that speak OpenAI's chat-completions API (OpenAI, DeepSeek, OpenRouter), through the `openai`
 * SDK: the request passes through almost as it came, since it already is the provider's wire format. A
 * subclass names the provider, its default endpoint and headers, and may rewrite the request where the
 * provider differs (DeepSeek's JSON mode). The SDK's retries are off: the registry owns retries, and a
 * second attempt hidden inside one call would also overrun the per-attempt timeout.
 */
export abstract class OpenAiCompatibleAdapter implements LlmProviderAdapter {
  readonly configured: boolean;
  private readonly client?: OpenAI;
  private readonly apiKey?: string;

  protected constructor(
    readonly id: RemoteProviderId,
    settings: ProviderSettings,
    options: OpenAiCompatibleOptions,
  ) {
    this.apiKey = settings.apiKey;
    this.configured = Boolean(settings.apiKey);
    // Every option the SDK would otherwise read from OPENAI_* variables is given, so only libs/config
    // decides where requests go and with which credentials.
    this.client = settings.apiKey
      ? new OpenAI({
          apiKey: settings.apiKey,
          baseURL: settings.baseUrl ?? options.defaultBaseUrl,
          organization: null,
          project: null,
          maxRetries: 0,
          timeout: options.timeoutMs,
          defaultHeaders: options.headers,
        })
      : undefined;
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    if (!this.client) throw notConfigured(this.id);
    let completion: OpenAiCompletion;
    try {
      completion = await this.client.chat.completions.create(this.requestBody(request), { signal });
    } catch (error) {
      throw openAiProviderError(this.id, error, this.apiKey);
    }
    return fromOpenAiCompletion(completion, request, this.apiKey);
  }

  /** The body sent; a provider whose API differs from OpenAI's somewhere rewrites it here. */
  protected requestBody(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
    return openAiRequestBody(request);
  }
}

/** OpenAI's request, as the SDK takes it: the generation parameters the request carries, nothing else. */
export function openAiRequestBody(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
  const body: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    // The gateway validated OpenAI's own message shape; passing it through keeps image parts, names and
    // tool turns exactly as the caller sent them.
    messages: request.messages as unknown as ChatCompletionMessageParam[],
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

/** The provider's answer in the contract's shape (only function tool calls exist in it). */
export function fromOpenAiCompletion(
  completion: OpenAiCompletion,
  request: ProviderRequest,
  apiKey?: string,
): ChatCompletion {
  // OpenRouter answers 200 with an `error` body when the upstream model fails after routing.
  const failure = (completion as { error?: { code?: unknown; message?: unknown } }).error;
  if (failure && !completion.choices?.length) {
    const status = typeof failure.code === 'number' ? failure.code : 502;
    throw providerErrorFromStatus(status, redact(textOf(failure.message) ?? 'provider error', apiKey));
  }
  if (completion.choices.some((choice) => (choice.finish_reason as string) === 'error')) {
    throw new ProviderError(
      'transient',
      'the upstream model failed while generating (finish_reason "error")',
    );
  }
  const choices = completion.choices.map((choice): ChatCompletionChoice => ({
    index: choice.index,
    message: {
      role: 'assistant',
      content: choice.message.content ?? null,
      ...toolCallsOf(choice.message.tool_calls),
      refusal: choice.message.refusal ?? null,
    },
    finish_reason: finishReasonOf(choice.finish_reason),
    logprobs: null,
  }));
  const content = choices.map((choice) => choice.message.content ?? '').join('');
  // A provider that omits usage would make the call look free to budgets: estimate it instead.
  const promptTokens = completion.usage?.prompt_tokens ?? estimatePromptTokens(request.messages);
  const completionTokens = completion.usage?.completion_tokens ?? estimateTokens(content);
  return {
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model || request.model,
    choices,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: completion.usage?.total_tokens ?? promptTokens + completionTokens,
    },
    system_fingerprint: completion.system_fingerprint ?? null,
  };
}

function toolCallsOf(calls: OpenAiCompletion.Choice['message']['tool_calls']): {
  tool_calls?: ChatToolCall[];
} {
  const functions = (calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [
          {
            id: call.id,
            type: 'function' as const,
            function: { name: call.function.name, arguments: call.function.arguments },
          },
        ]
      : [],
  );
  return functions.length > 0 ? { tool_calls: functions } : {};
}

function finishReasonOf(reason: string | null | undefined): FinishReason {
  return reason && FINISH_REASONS.includes(reason) ? (reason as FinishReason) : 'stop';
}

/**
 * Sorts what the `openai` SDK threw: HTTP failures by status with the provider's own message from the
 * error body (never the request's headers, so never the key), transport failures as transient.
 */
export function openAiProviderError(id: RemoteProviderId, error: unknown, apiKey?: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError) {
    return new ProviderError('transient', `${id}: request aborted (attempt timeout or cancelled)`, {
      cause: error,
    });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderError('transient', `${id}: request timed out`, { cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new ProviderError('transient', `${id}: connection failed${causeCode(error)}`, { cause: error });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const body = error.error as { message?: unknown } | undefined;
    const message = textOf(body?.message) ?? error.message.replace(/^\d{3}\s*/, '');
    // No `cause`: the SDK error holds the provider's unredacted body, which a logger would print.
    return providerErrorFromStatus(error.status, redact(`${id}: ${message}`, apiKey), error.headers);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ProviderError('transient', `${id}: call failed (${name})`, { cause: error });
}

export function notConfigured(id: RemoteProviderId): ProviderError {
  return new ProviderError('auth', `${id} is not configured: set ${id.toUpperCase()}_API_KEY`);
}

/** ` (ECONNREFUSED)` from fetch's `TypeError: fetch failed` and its cause, or nothing. */
export function causeCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return ` (${code})`;
    current = current.cause;
  }
  return '';
}

/** A provider message, cut to a readable length, with the key masked should a provider ever echo it. */
export function redact(message: string, apiKey?: string): string {
  const cut = message.length > 500 ? `${message.slice(0, 500)}…` : message;
  return apiKey ? cut.split(apiKey).join('[redacted]') : cut;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? undefined : JSON.stringify(value);
}
