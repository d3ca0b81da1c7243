import { z } from 'zod';
import { freePort } from '../helpers/free-port';
import { startProcess, waitForHttp } from '../helpers/process';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';

/**
 * What each client suite runs against: the built gateway (`dist/apps/gateway/main.js`, its own process) in
 * front of the OpenAI stub (`openai/...`, the real adapter and wire format) and in front of the mock
 * provider (`mock/...`), both in one gateway.
 */
export const TARGETS = [
  ['the OpenAI stub', 'openai/gpt-4o-mini'],
  ['the mock', 'mock/echo'],
] as const;

export const API_KEY = 'dev-key';

export interface CompatGateway {
  openai: OpenAiStub;
  /** The base URL an OpenAI client takes: the gateway's `/v1`. */
  baseURL: string;
  stop(): Promise<void>;
}

export async function startCompatGateway(): Promise<CompatGateway> {
  const openai = await startOpenAiStub();
  const port = await freePort();
  const gateway = startProcess('gateway', {
    PORT: String(port),
    // No Redis here: the gateway runs embedded, as `npm start` does on a laptop.
    REDIS_URL: 'redis://127.0.0.1:1',
    OPENAI_API_KEY: 'sk-test-compat-secret',
    OPENAI_BASE_URL: openai.baseUrl,
    RETRY_MAX_ATTEMPTS: '1',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health/live`);
  } catch (error) {
    await gateway.stop('SIGKILL');
    await openai.stop();
    throw new Error(`the gateway did not start: ${gateway.output().slice(-2000)}`, { cause: error });
  }
  return {
    openai,
    baseURL: `${url}/v1`,
    stop: async () => {
      await gateway.stop('SIGINT');
      await openai.stop();
    },
  };
}

/** The structured answer the suites ask for, in zod 4 (which writes JSON Schema 2020-12). */
export const Weather = z.object({
  city: z.string(),
  celsius: z.number(),
  sunny: z.boolean(),
  tags: z.array(z.string()),
  wind: z.object({ speed: z.number().int().min(0), direction: z.enum(['n', 'e', 's', 'w']) }),
});

/** A tool's arguments. */
export const WeatherArgs = z.object({ city: z.string().min(2), days: z.number().int().min(1).max(7) });

/** A system prompt carrying the schema, as JSON mode wants it. */
export const JSON_MODE_SYSTEM = `Answer with one JSON object valid against this JSON Schema, nothing else:\n${JSON.stringify(
  z.toJSONSchema(Weather),
)}`;
