import type { ChatCompletion as OpenAiCompletion } from 'openai/resources/chat/completions';
import { ChatCompletion, ChatCompletionChoice, ChatToolCall, FinishReason } from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../../provider-error';
import { estimatePromptTokens, estimateTokens } from '../../token-estimate';
import { ProviderRequest } from '../llm-provider.adapter';
import { redact } from '../shared/sdk-error';

const FINISH_REASONS: readonly string[] = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'];

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
    throw providerErrorFromStatus(status, redact(providerText(failure.message) ?? 'provider error', apiKey));
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
    // Present when the request asked for them (`logprobs: true`, passed through).
    logprobs: choice.logprobs ?? null,
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

/** A provider's error message as text: OpenAI-compatible providers sometimes send an object there. */
export function providerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? undefined : JSON.stringify(value);
}
