import { BlockedReason, FinishReason, GenerateContentResponse } from '@google/genai';
import { ProviderRequest } from '../llm-provider.adapter';
import { fromGeminiResponse, geminiFinishReason } from './gemini.response';
import { oneChoiceCompletion } from '../shared/provider-request.fixture';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'gemini-2.5-flash',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

const response = (fields: Partial<GenerateContentResponse>): GenerateContentResponse =>
  Object.assign(new GenerateContentResponse(), fields);

const USAGE_9_24 = { prompt_tokens: 9, completion_tokens: 24, total_tokens: 33 };

describe('fromGeminiResponse', () => {
  it('maps text, model, id and usage, counting thinking tokens as completion tokens', () => {
    const completion = fromGeminiResponse(
      response({
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ text: 'thinking…', thought: true }, { text: 'Hello ' }, { text: 'there' }],
            },
            finishReason: FinishReason.STOP,
            index: 0,
          },
        ],
        usageMetadata: {
          promptTokenCount: 9,
          candidatesTokenCount: 4,
          thoughtsTokenCount: 20,
          totalTokenCount: 33,
        },
        modelVersion: 'gemini-2.5-flash-001',
        responseId: 'resp-1',
      }),
      ask(),
    );
    expect(completion).toMatchObject(
      oneChoiceCompletion({ id: 'resp-1', model: 'gemini-2.5-flash-001' }, 'Hello there', USAGE_9_24),
    );
  });

  it('returns every candidate as a choice', () => {
    const completion = fromGeminiResponse(
      response({
        candidates: [
          { content: { parts: [{ text: 'a' }] }, finishReason: FinishReason.STOP, index: 0 },
          { content: { parts: [{ text: 'b' }] }, finishReason: FinishReason.MAX_TOKENS, index: 1 },
        ],
      }),
      ask({ n: 2 }),
    );
    expect(completion.choices.map((choice) => [choice.message.content, choice.finish_reason])).toEqual([
      ['a', 'stop'],
      ['b', 'length'],
    ]);
  });

  it('maps functionCall parts to tool_calls with finish_reason tool_calls', () => {
    const completion = fromGeminiResponse(
      response({
        candidates: [
          {
            content: { parts: [{ functionCall: { id: 'fc-1', name: 'w', args: { city: 'Oslo' } } }] },
            finishReason: FinishReason.STOP,
          },
        ],
      }),
      ask(),
    );
    expect(completion.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [{ id: 'fc-1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } }],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('answers a blocked prompt (no candidates) with content_filter', () => {
    const completion = fromGeminiResponse(
      response({
        promptFeedback: { blockReason: BlockedReason.PROHIBITED_CONTENT },
        usageMetadata: { promptTokenCount: 5 },
      }),
      ask(),
    );
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null },
        finish_reason: 'content_filter',
        logprobs: null,
      },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 });
  });

  it('estimates usage when Gemini reports none', () => {
    const completion = fromGeminiResponse(
      response({ candidates: [{ content: { parts: [{ text: 'abcdefgh' }] } }] }),
      ask(),
    );
    expect(completion.usage.completion_tokens).toBe(2);
    expect(completion.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['OTHER', 'stop'],
    [undefined, 'stop'],
  ])('maps finishReason %s to %s', (reason, expected) => {
    expect(geminiFinishReason(reason)).toBe(expected);
  });
});
