import type { ChatCompletion as OpenAiCompletion } from 'openai/resources/chat/completions';
import { ProviderError } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { fromOpenAiCompletion } from './openai-compatible.response';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

const completion = (extra: Partial<OpenAiCompletion> = {}): OpenAiCompletion => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'hi there', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
  ...extra,
});

describe('fromOpenAiCompletion', () => {
  it('maps the completion, keeping the provider id, model and usage', () => {
    expect(fromOpenAiCompletion(completion(), ask())).toEqual({ ...completion(), system_fingerprint: null });
  });

  it("keeps the provider's logprobs (asked for by a passed-through logprobs: true)", () => {
    const logprobs = {
      content: [{ token: 'hi', logprob: -0.1, bytes: [104, 105], top_logprobs: [] }],
      refusal: null,
    };
    const [choice] = completion().choices;
    const mapped = fromOpenAiCompletion(completion({ choices: [{ ...choice, logprobs }] }), ask());
    expect(mapped.choices[0].logprobs).toEqual(logprobs);
  });

  it('keeps function tool calls and drops custom ones, which the contract has no shape for', () => {
    const mapped = fromOpenAiCompletion(
      completion({
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [
                { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
                { id: 'c2', type: 'custom', custom: { name: 'g', input: 'x' } },
              ],
            },
            finish_reason: 'tool_calls',
            logprobs: null,
          },
        ],
      }),
      ask(),
    );
    expect(mapped.choices[0].message.tool_calls).toEqual([
      { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
    ]);
    expect(mapped.choices[0].finish_reason).toBe('tool_calls');
  });

  it('estimates usage a provider leaves out, so budgets still count the call', () => {
    const mapped = fromOpenAiCompletion(completion({ usage: undefined }), ask());
    expect(mapped.usage.prompt_tokens).toBeGreaterThan(0);
    expect(mapped.usage.completion_tokens).toBe(2);
    expect(mapped.usage.total_tokens).toBe(mapped.usage.prompt_tokens + 2);
  });

  it("throws OpenRouter's in-body error, sorted by its code and with the key masked", () => {
    // OpenRouter's 200 with an error: the SDK still types it as a completion.
    const body = Object.assign(completion({ choices: [] }), {
      error: { code: 429, message: 'slow down sk-or-secret' },
    });
    const error = (() => {
      try {
        fromOpenAiCompletion(body, ask(), 'sk-or-secret');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'rate_limited', message: '429 slow down [redacted]' });
  });

  it('throws transient for a choice that finished with "error" (OpenRouter)', () => {
    const failed = completion();
    (failed.choices[0] as { finish_reason: string }).finish_reason = 'error';
    expect(() => fromOpenAiCompletion(failed, ask())).toThrow(ProviderError);
  });
});
