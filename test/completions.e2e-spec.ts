import OpenAI from 'openai';
import { API_KEY, CompatGateway, TARGETS, startCompatGateway } from './compat/compat-gateway';
import { eventually } from './helpers/eventually';
import { errorOf, postJson } from './helpers/gateway';

describe('POST /v1/completions (legacy) with the OpenAI SDK', () => {
  let compat: CompatGateway;
  let client: OpenAI;

  beforeAll(async () => {
    compat = await startCompatGateway();
    client = new OpenAI({ baseURL: compat.baseURL, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(() => compat.stop());

  describe.each(TARGETS)('against %s (%s)', (_target, model) => {
    it('answers a text_completion with the prompt as one user message', async () => {
      const completion = await client.completions.create({ model, prompt: 'hello legacy', max_tokens: 200 });
      expect(completion.object).toBe('text_completion');
      expect(completion.id).toMatch(/^cmpl-/);
      expect(completion.choices).toHaveLength(1);
      expect(completion.choices[0].text).toContain('hello legacy');
      expect(completion.choices[0].finish_reason).toBe('stop');
      expect(completion.usage!.total_tokens).toBe(
        completion.usage!.prompt_tokens + completion.usage!.completion_tokens,
      );
    });

    it('streams text_completion chunks, the usage chunk when asked, then [DONE]', async () => {
      const stream = await client.completions.create({
        model,
        prompt: ['hello streamed legacy'],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      const objects = new Set<string>();
      let finish: string | null = null;
      let outputTokens = 0;
      for await (const chunk of stream) {
        objects.add(chunk.object);
        text += chunk.choices[0]?.text ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        outputTokens = chunk.usage?.completion_tokens ?? outputTokens;
      }
      expect([...objects]).toEqual(['text_completion']);
      expect(text).toContain('hello streamed legacy');
      expect(finish).toBe('stop');
      expect(outputTokens).toBeGreaterThan(0);
    });
  });

  it('sends the prompt to the provider as one user message', async () => {
    await client.completions.create({
      model: 'openai/gpt-4o-mini',
      prompt: 'exactly this',
      temperature: 0.2,
    });
    const sent = compat.openai.server.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.messages).toEqual([{ role: 'user', content: 'exactly this' }]);
    expect(sent.temperature).toBe(0.2);
  });

  it('ends a stream with [DONE] on the wire', async () => {
    const response = await postJson(`${compat.baseURL}/completions`, {
      model: 'mock/echo',
      prompt: 'raw',
      stream: true,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('chat.completion.chunk');
  });

  it.each([
    ['prompt', { prompt: ['one', 'two'] }],
    ['prompt', { prompt: [1, 2, 3] }],
    ['suffix', { suffix: 'end' }],
    ['echo', { echo: true }],
    ['logprobs', { logprobs: 2 }],
    ['best_of', { best_of: 3 }],
    ['n', { n: 17 }],
  ])('answers 400 naming %s', async (param, fields) => {
    const response = await postJson(`${compat.baseURL}/completions`, {
      model: 'mock/echo',
      prompt: 'hi',
      ...fields,
    });
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error.param).toBe(param);
  });

  it('queues with the 202 of chat, and the queued result is a text_completion', async () => {
    const response = await postJson(
      `${compat.baseURL}/completions`,
      { model: 'mock/echo', prompt: 'later' },
      { authorization: `Bearer ${API_KEY}`, 'x-processing-mode': 'async' },
    );
    expect(response.status).toBe(202);
    const { result_url: resultUrl } = (await response.json()) as { result_url: string };
    const result = await eventually(async () => {
      const look = await fetch(`${compat.baseURL.replace(/\/v1$/, '')}${resultUrl}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return look.status === 200
        ? ((await look.json()) as { object: string; choices: { text: string }[] })
        : undefined;
    });
    expect(result.object).toBe('text_completion');
    expect(result.choices[0].text).toContain('later');
  });
});
