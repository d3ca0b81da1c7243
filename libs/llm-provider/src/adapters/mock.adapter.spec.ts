import { testConfig } from '@breakwater/testing';
import { ProviderError } from '../provider-error';
import { MockAdapter } from './mock.adapter';

const signal = new AbortController().signal;
const ask = (content: string, extra: object = {}) => ({
  model: 'echo',
  messages: [{ role: 'user' as const, content }],
  ...extra,
});

describe('MockAdapter', () => {
  const mock = new MockAdapter(testConfig());

  it('answers deterministically from the messages and counts usage', async () => {
    const first = await mock.complete(ask('same'), signal);
    const again = await mock.complete(ask('same'), signal);
    const other = await mock.complete(ask('other'), signal);
    expect(first.choices[0].message.content).toBe(again.choices[0].message.content);
    expect(first.choices[0].message.content).not.toBe(other.choices[0].message.content);
    expect(first.usage.total_tokens).toBe(first.usage.prompt_tokens + first.usage.completion_tokens);
    expect(first.id).not.toBe(again.id);
  });

  it('fails as a transient provider error at MOCK_FAILURE_RATE 1', async () => {
    const failing = new MockAdapter(testConfig({ MOCK_FAILURE_RATE: '1' }));
    await expect(failing.complete(ask('x'), signal)).rejects.toMatchObject({
      kind: 'transient',
      retryable: true,
    });
    await expect(failing.complete(ask('x'), signal)).rejects.toBeInstanceOf(ProviderError);
  });

  it('stops waiting when its signal aborts during MOCK_LATENCY_MS', async () => {
    const slow = new MockAdapter(testConfig({ MOCK_LATENCY_MS: '5000' }));
    const started = Date.now();
    await expect(slow.complete(ask('x'), AbortSignal.timeout(50))).rejects.toMatchObject({
      kind: 'transient',
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('never truncates JSON answers, whatever max_tokens says', async () => {
    const answer = await mock.complete(
      ask('a long enough question', { max_tokens: 1, response_format: { type: 'json_object' } }),
      signal,
    );
    const content = answer.choices[0].message.content ?? '';
    expect((): unknown => JSON.parse(content)).not.toThrow();
    expect(answer.choices[0].finish_reason).toBe('stop');
  });
});
