import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const OPENAI_KEY = 'sk-test-openai-secret';
const QUESTIONS = ['What is a breakwater?', 'And a jetty?', 'Which one is longer?'];

const ask = (model: string, content: string) => ({
  model,
  temperature: 0,
  messages: [
    { role: 'system', content: 'Answer in one sentence.' },
    { role: 'user', content },
  ],
});

describe('RECORD_DIR and the replay provider', () => {
  let stub: OpenAiStub;
  let dir: string;

  beforeAll(async () => {
    stub = await startOpenAiStub();
    dir = mkdtempSync(join(tmpdir(), 'bw-recordings-'));
  });
  afterAll(async () => {
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const chat = (gateway: TestGateway, body: unknown) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, {
      authorization: 'Bearer dev-key',
      'x-processing-mode': 'immediate',
      'x-cache-mode': 'bypass',
    });

  it('records a run against the provider, then replays it offline with zero provider calls', async () => {
    const recording = await startGateway({
      RECORD_DIR: dir,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: stub.baseUrl,
    });
    const recorded: string[] = [];
    try {
      for (const question of QUESTIONS) {
        const response = await chat(recording, ask('openai/gpt-4o-mini', question));
        expect(response.status).toBe(200);
        recorded.push((await completionOf(response)).choices[0].message.content ?? '');
      }
    } finally {
      await recording.close();
    }
    expect(stub.server.requests).toHaveLength(QUESTIONS.length);
    const files = readdirSync(dir);
    expect(files).toHaveLength(QUESTIONS.length);
    for (const file of files) {
      expect(file).toMatch(/^[0-9a-f]{64}\.json$/);
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).not.toContain(OPENAI_KEY);
      expect(text).not.toMatch(/authorization/i);
      expect(JSON.parse(text)).toMatchObject({
        hash: file.slice(0, 64),
        provider: 'openai',
        model: 'gpt-4o-mini',
        request: { model: 'openai/gpt-4o-mini' },
        latency_ms: expect.any(Number),
        recorded_at: expect.any(String),
      });
    }

    const callsBefore = stub.server.requests.length;
    const replaying = await startGateway({ RECORD_DIR: dir });
    try {
      for (const [index, question] of QUESTIONS.entries()) {
        const response = await chat(replaying, ask('replay/openai/gpt-4o-mini', question));
        expect(response.status).toBe(200);
        expect(response.headers.get('x-provider')).toBe('replay');
        const completion = await completionOf(response);
        expect(completion.model).toBe('replay/openai/gpt-4o-mini');
        expect(completion.choices[0].message.content).toBe(recorded[index]);
      }
      const again = await chat(replaying, ask('replay/openai/gpt-4o-mini', QUESTIONS[0]));
      expect((await completionOf(again)).choices[0].message.content).toBe(recorded[0]);
    } finally {
      await replaying.close();
    }
    expect(stub.server.requests).toHaveLength(callsBefore);
  });

  it('answers a request never recorded with 400 INVALID_REQUEST naming its hash', async () => {
    const replaying = await startGateway({ RECORD_DIR: dir });
    try {
      const response = await chat(replaying, ask('replay/openai/gpt-4o-mini', 'never asked'));
      expect(response.status).toBe(400);
      const { error } = await errorOf(response);
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', param: 'model' });
      expect(error.message).toMatch(/hash [0-9a-f]{64}/);
      const hash = /hash ([0-9a-f]{64})/.exec(error.message)?.[1];
      expect(readdirSync(dir)).not.toContain(`${hash}.json`);
    } finally {
      await replaying.close();
    }
  });

  it('leaves replay unconfigured without RECORD_DIR', async () => {
    const plain = await startGateway();
    try {
      const response = await chat(plain, ask('replay/openai/gpt-4o-mini', QUESTIONS[0]));
      expect(response.status).toBe(400);
      expect((await errorOf(response)).error.code).toBe('PROVIDER_NOT_CONFIGURED');
    } finally {
      await plain.close();
    }
  });
});
