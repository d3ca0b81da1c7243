import { Readable } from 'node:stream';
import type { GenerateContentResponse } from '@google/genai';
import { ChatCompletionChunk } from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { geminiChunks } from './gemini.stream';

const request: ProviderRequest = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] };

const pieces = (...items: Record<string, unknown>[]): AsyncIterable<GenerateContentResponse> =>
  Readable.from(
    items.map((item) => ({ responseId: 'resp_1', modelVersion: 'gemini-2.5-flash-001', ...item })),
  );

const piece = (parts: Record<string, unknown>[], extra: Record<string, unknown> = {}, index = 0) => ({
  candidates: [{ content: { role: 'model', parts }, index, ...extra }],
});

async function collect(
  source: AsyncIterable<ChatCompletionChunk>,
): Promise<{ chunks: ChatCompletionChunk[]; error?: unknown }> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of source) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

const choices = (chunks: ChatCompletionChunk[]) => chunks.flatMap((chunk) => chunk.choices);

describe('geminiChunks', () => {
  it('maps text pieces: role first, content, the finish on its own, then the last usage', async () => {
    const { chunks, error } = await collect(
      geminiChunks(
        pieces(
          { ...piece([{ text: 'Hel' }]), usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1 } },
          {
            ...piece([{ text: 'thinking…', thought: true }, { text: 'lo' }], { finishReason: 'STOP' }),
            usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, thoughtsTokenCount: 5 },
          },
        ),
        request,
      ),
    );
    expect(error).toBeUndefined();
    expect(choices(chunks)).toEqual([
      { index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null, logprobs: null },
      { index: 0, delta: { content: 'lo' }, finish_reason: null, logprobs: null },
      { index: 0, delta: {}, finish_reason: 'stop', logprobs: null },
    ]);
    expect(chunks[chunks.length - 1]).toEqual({
      id: 'resp_1',
      object: 'chat.completion.chunk',
      created: chunks[0].created,
      model: 'gemini-2.5-flash-001',
      choices: [],
      usage: { prompt_tokens: 4, completion_tokens: 7, total_tokens: 11 },
    });
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set(['resp_1']));
  });

  it('gives each function call whole in one delta, with ids as the whole answer makes them, finishing tool_calls', async () => {
    const { chunks } = await collect(
      geminiChunks(
        pieces(
          piece([{ text: 'Let me look.' }]),
          piece([{ functionCall: { name: 'get_weather', args: { city: 'Rome' } } }]),
          piece([{ functionCall: { id: 'own-id', name: 'get_time', args: {} } }], { finishReason: 'STOP' }),
        ),
        request,
      ),
    );
    expect(choices(chunks).flatMap((choice) => choice.delta.tool_calls ?? [])).toEqual([
      {
        index: 0,
        id: 'call_resp_1_0_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
      },
      { index: 1, id: 'own-id', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(choices(chunks).at(-1)?.finish_reason).toBe('tool_calls');
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['OTHER', 'stop'],
  ])('maps finishReason %s to %s', async (reason, expected) => {
    const { chunks } = await collect(
      geminiChunks(pieces(piece([{ text: 'x' }], { finishReason: reason })), request),
    );
    expect(choices(chunks).at(-1)?.finish_reason).toBe(expected);
  });

  it('keeps candidates apart, each with its role first and its own finish', async () => {
    const { chunks, error } = await collect(
      geminiChunks(
        pieces(
          {
            candidates: [
              { content: { parts: [{ text: 'a' }] }, index: 0 },
              { content: { parts: [{ text: 'b' }] }, index: 1 },
            ],
          },
          {
            candidates: [
              { content: { parts: [{ text: 'a2' }] }, index: 0, finishReason: 'STOP' },
              { content: { parts: [{ text: 'b2' }] }, index: 1, finishReason: 'MAX_TOKENS' },
            ],
          },
        ),
        request,
      ),
    );
    expect(error).toBeUndefined();
    const of = (index: number) => choices(chunks).filter((choice) => choice.index === index);
    expect(of(0).map((choice) => choice.delta)).toEqual([
      { role: 'assistant', content: 'a' },
      { content: 'a2' },
      {},
    ]);
    expect(of(1).map((choice) => choice.finish_reason)).toEqual([null, null, 'length']);
  });

  it('answers a blocked prompt (no candidates, a blockReason) with content_filter', async () => {
    const { chunks, error } = await collect(
      geminiChunks(
        pieces({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3 } }),
        request,
      ),
    );
    expect(error).toBeUndefined();
    expect(choices(chunks).map((choice) => choice.finish_reason)).toEqual([null, 'content_filter']);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 });
  });

  it('estimates usage when Gemini reports none', async () => {
    const { chunks } = await collect(
      geminiChunks(pieces(piece([{ text: 'twelve chars' }], { finishReason: 'STOP' })), request),
    );
    const usage = chunks.at(-1)?.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(3);
  });

  it('throws transient when the stream ends before a finishReason, or says nothing at all', async () => {
    const cut = await collect(geminiChunks(pieces(piece([{ text: 'half' }])), request));
    expect(cut.chunks).toHaveLength(1);
    expect(cut.error).toBeInstanceOf(ProviderError);
    expect(cut.error).toMatchObject({ kind: 'transient' });
    const empty = await collect(geminiChunks(pieces(), request));
    expect(empty).toMatchObject({ chunks: [], error: { kind: 'transient' } });
  });
});
