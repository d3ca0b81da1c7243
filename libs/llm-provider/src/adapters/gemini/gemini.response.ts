import { randomUUID } from 'node:crypto';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionUsage,
  ChatToolCall,
  FinishReason,
} from '@breakwater/contracts';
import { estimatePromptTokens, estimateTokens } from '../../token-estimate';
import { ProviderRequest } from '../llm-provider.adapter';
import {
  assistantMessage,
  completionUsage,
  createdNow,
  functionToolCall,
} from '../shared/completion-mapping';

const CONTENT_FILTER_REASONS: readonly string[] = [
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
];

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
                  functionToolCall(
                    geminiToolCallId(part.functionCall.id, id, position, index),
                    part.functionCall.name,
                    part.functionCall.args ?? {},
                  ),
                ]
              : [],
          );
          return {
            index: candidate.index ?? position,
            message: assistantMessage(text, calls),
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
  const content = choices.map((choice) => choice.message.content ?? '').join('');
  return {
    id,
    object: 'chat.completion',
    created: createdNow(),
    model: response.modelVersion ?? request.model,
    choices,
    usage: geminiUsage(response.usageMetadata, request, content),
  };
}

/** The call's own id when Gemini gives one, else one made from the answer's id and the part's place. */
export function geminiToolCallId(
  callId: string | undefined,
  responseId: string,
  position: number,
  index: number,
): string {
  return callId ?? `call_${responseId}_${position}_${index}`;
}

/** Gemini's token counts, or the gateway's estimate from the prompt and `content` when it reports none. */
export function geminiUsage(
  usage: GenerateContentResponseUsageMetadata | undefined,
  request: ProviderRequest,
  content: string,
): ChatCompletionUsage {
  const promptTokens = usage?.promptTokenCount ?? estimatePromptTokens(request.messages);
  // Thinking tokens are billed as output, as OpenAI's reasoning tokens are counted in completion_tokens.
  const completionTokens = usage
    ? (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0)
    : estimateTokens(content);
  return completionUsage(promptTokens, completionTokens);
}

export function geminiFinishReason(reason: string | undefined): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && CONTENT_FILTER_REASONS.includes(reason)) return 'content_filter';
  return 'stop';
}
