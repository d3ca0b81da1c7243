import { randomUUID } from 'node:crypto';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import {
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionChunkToolCall,
  ChatCompletionUsage,
  FinishReason,
} from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { createdNow } from '../shared/completion-mapping';
import { geminiFinishReason, geminiToolCallId, geminiUsage } from './gemini.response';

/** One candidate as the stream has told it so far. */
interface Candidate {
  /** Parts received, for the ids of the calls, which count parts as the whole answer's do. */
  parts: number;
  calls: number;
  text: string;
  finish?: FinishReason;
}

/**
 * `streamGenerateContent`'s pieces as the contract's chunks. Each piece is a whole GenerateContentResponse
 * holding the next parts of each candidate: text parts become content (thoughts are left out, as in the
 * whole answer), and a functionCall part arrives whole, so it becomes one tool-call delta with its name
 * and all its arguments. A candidate's first delta names the assistant role; its finishReason becomes a
 * chunk of its own, mapped as gemini.response.ts maps it (`tool_calls` once it called a function). The
 * last piece's usageMetadata (Gemini repeats the running counts on each) becomes the usage chunk. A stream
 * that ends while a candidate has no finishReason was cut and is thrown as transient.
 */
export async function* geminiChunks(
  pieces: AsyncIterable<GenerateContentResponse>,
  request: ProviderRequest,
): AsyncGenerator<ChatCompletionChunk> {
  let head: { id: string; model: string; created: number } | undefined;
  let usage: GenerateContentResponseUsageMetadata | undefined;
  let blocked = false;
  const candidates = new Map<number, Candidate>();
  const chunk = (choices: ChatCompletionChunkChoice[], extra?: { usage: ChatCompletionUsage }) => ({
    ...(head ?? { id: '', model: request.model, created: createdNow() }),
    object: 'chat.completion.chunk' as const,
    choices,
    ...extra,
  });

  for await (const piece of pieces) {
    head ??= {
      id: piece.responseId ?? randomUUID(),
      model: piece.modelVersion ?? request.model,
      created: createdNow(),
    };
    usage = piece.usageMetadata ?? usage;
    const deltas: ChatCompletionChunkChoice[] = [];
    const finishes: ChatCompletionChunkChoice[] = [];
    for (const [position, candidate] of (piece.candidates ?? []).entries()) {
      const index = candidate.index ?? position;
      const known = candidates.get(index);
      const state = known ?? { parts: 0, calls: 0, text: '' };
      candidates.set(index, state);
      const parts = candidate.content?.parts ?? [];
      const text = parts
        .flatMap((part) => (typeof part.text === 'string' && !part.thought ? [part.text] : []))
        .join('');
      const calls = parts.flatMap((part, offset): ChatCompletionChunkToolCall[] =>
        part.functionCall?.name
          ? [
              {
                index: state.calls++,
                id: geminiToolCallId(part.functionCall.id, head?.id ?? '', index, state.parts + offset),
                type: 'function',
                function: {
                  name: part.functionCall.name,
                  arguments: JSON.stringify(part.functionCall.args ?? {}),
                },
              },
            ]
          : [],
      );
      state.parts += parts.length;
      state.text += text;
      const delta: ChatCompletionChunkChoice['delta'] = {
        ...(known ? {} : { role: 'assistant' as const }),
        ...(text ? { content: text } : {}),
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      };
      if (Object.keys(delta).length > 0) deltas.push({ index, delta, finish_reason: null, logprobs: null });
      if (candidate.finishReason && state.finish === undefined) {
        // Gemini says STOP after a function call; OpenAI callers look for tool_calls.
        state.finish = state.calls > 0 ? 'tool_calls' : geminiFinishReason(candidate.finishReason);
        finishes.push({ index, delta: {}, finish_reason: state.finish, logprobs: null });
      }
    }
    // No candidate at all: the prompt itself was blocked, which is the whole answer.
    if (!piece.candidates?.length && piece.promptFeedback?.blockReason && !blocked) {
      blocked = true;
      deltas.push({
        index: 0,
        delta: { role: 'assistant', content: null },
        finish_reason: null,
        logprobs: null,
      });
      finishes.push({ index: 0, delta: {}, finish_reason: 'content_filter', logprobs: null });
    }
    if (deltas.length > 0) yield chunk(deltas);
    if (finishes.length > 0) yield chunk(finishes);
  }
  const open = [...candidates.values()].some((candidate) => candidate.finish === undefined);
  if (open || (candidates.size === 0 && !blocked)) {
    throw new ProviderError('transient', 'gemini: the stream ended before a finishReason');
  }
  const text = [...candidates.values()].map((candidate) => candidate.text).join('');
  yield chunk([], { usage: geminiUsage(usage, request, text) });
}
