import { z } from 'zod';
import { TestGateway, startGateway } from '../helpers/gateway';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';

/**
 * What each client suite runs against: the gateway in front of the OpenAI stub (`openai/...`, the real
 * adapter and wire format) and in front of the mock provider (`mock/...`), both in one gateway.
 */
export const TARGETS = [
  ['the OpenAI stub', 'openai/gpt-4o-mini'],
  ['the mock', 'mock/echo'],
] as const;

export const API_KEY = 'dev-key';

export interface CompatGateway {
  gateway: TestGateway;
  openai: OpenAiStub;
  /** The base URL an OpenAI client takes: the gateway's `/v1`. */
  baseURL: string;
  stop(): Promise<void>;
}

export async function startCompatGateway(): Promise<CompatGateway> {
  const openai = await startOpenAiStub();
  const gateway = await startGateway({
    OPENAI_API_KEY: 'sk-test-compat-secret',
    OPENAI_BASE_URL: openai.baseUrl,
    RETRY_MAX_ATTEMPTS: '1',
  });
  return {
    gateway,
    openai,
    baseURL: `${gateway.url}/v1`,
    stop: async () => {
      await gateway.close();
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
