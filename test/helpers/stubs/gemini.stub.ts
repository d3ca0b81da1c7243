import { createHash } from 'node:crypto';
import generateContentFixture from '../../fixtures/gemini/generate-content.json';
import apiKeyInvalidFixture from '../../fixtures/gemini/error-api-key-invalid.json';
import internalFixture from '../../fixtures/gemini/error-internal.json';
import resourceExhaustedFixture from '../../fixtures/gemini/error-resource-exhausted.json';
import { schemaInstance } from '@breakwater/llm-provider';
import { stubVector } from './openai.stub';
import {
  RecordedRequest,
  StreamShape,
  StubHandler,
  StubReply,
  StubServer,
  recordedEvents,
  streamReply,
  textPieces,
} from './stub-server';

/**
 * The Gemini API on loopback: `POST /v1beta/models/<model>:generateContent` with `x-goog-api-key` (the
 * path @google/genai calls). By default it answers from the request (`gemini-stub <digest>: <last user
 * text>`, or JSON text when `responseMimeType` is JSON: an instance of `responseJsonSchema`), built on the
 * API reference's recorded response. Errors carry Google's body; a 429 says when to retry in RetryInfo.
 */
export interface GeminiStub {
  readonly server: StubServer;
  readonly baseUrl: string;
  stop(): Promise<void>;
  errors: {
    /** 429 RESOURCE_EXHAUSTED with RetryInfo `retryDelay` (and a Retry-After header the SDK drops). */
    rateLimited(retryAfterSeconds: number): StubHandler;
    serverError(): StubHandler;
    /** What Google answers to a wrong key: 400 INVALID_ARGUMENT, reason API_KEY_INVALID. */
    invalidKey(): StubHandler;
    reply(status: number, message: string, headers?: Record<string, string>): StubHandler;
  };
  recorded: { reply: StubReply; content: string; usage: { prompt: number; completion: number } };
  wire: {
    model(request: RecordedRequest): unknown;
    apiKey(request: RecordedRequest): string | undefined;
    systemPrompt(request: RecordedRequest): string | undefined;
    userTexts(request: RecordedRequest): string[];
    structuredSchema(request: RecordedRequest): unknown;
  };
  streaming: GeminiStreaming;
}

/**
 * Streamed answers, `POST /v1beta/models/<model>:streamGenerateContent?alt=sse`: `data:` events each
 * holding a whole GenerateContentResponse with the next parts and the running usageMetadata, the last
 * with the finishReason; no end marker of its own, as the API reference shows them.
 */
export interface GeminiStreaming {
  streamed(request: RecordedRequest): boolean;
  /** The standing answer, streamed and shaped (slower, cut, without the finishReason). */
  reply(shape: StreamShape): StubHandler;
  /** The recorded stream (fixtures/gemini/stream-generate-content.txt) and what it says. */
  recorded: { reply: StubHandler; content: string; usage: { prompt: number; completion: number } };
  /** A recorded stream of one function call (fixtures/gemini/stream-function-call.txt), and the call. */
  toolCall: { reply: StubHandler; call: { name: string; arguments: unknown } };
}

interface GeminiContent {
  role?: string;
  parts?: { text?: string }[];
}

interface GeminiBody {
  contents?: GeminiContent[];
  systemInstruction?: GeminiContent;
  generationConfig?: { responseMimeType?: string; responseJsonSchema?: Record<string, unknown> };
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const GENERATE_PATH = /^\/v1beta\/models\/([^/:?]+):generateContent$/;
const STREAM_PATH = /^\/v1beta\/models\/([^/:?]+):streamGenerateContent\?alt=sse$/;
const EMBED_PATH = /^\/v1beta\/models\/([^/:?]+):batchEmbedContents$/;

export async function startGeminiStub(): Promise<GeminiStub> {
  const server = await new StubServer(answer).start();
  return {
    server,
    baseUrl: server.url,
    stop: () => server.stop(),
    errors: {
      rateLimited: (seconds) => () => {
        const body = structuredClone(resourceExhaustedFixture);
        const retryInfo = body.error.details.find((detail) => detail['@type'].endsWith('RetryInfo')) as {
          retryDelay: string;
        };
        retryInfo.retryDelay = `${seconds}s`;
        return { status: 429, headers: { 'retry-after': String(seconds) }, body };
      },
      serverError: () => () => ({ status: 500, body: structuredClone(internalFixture) }),
      invalidKey: () => () => ({ status: 400, body: structuredClone(apiKeyInvalidFixture) }),
      reply: (status, message, headers) => () => errorReply(status, message, headers),
    },
    recorded: {
      reply: { body: structuredClone(generateContentFixture) },
      content: generateContentFixture.candidates[0].content.parts[0].text,
      usage: {
        prompt: generateContentFixture.usageMetadata.promptTokenCount,
        // Thinking tokens are output tokens.
        completion:
          generateContentFixture.usageMetadata.candidatesTokenCount +
          generateContentFixture.usageMetadata.thoughtsTokenCount,
      },
    },
    wire: geminiWire,
    streaming: {
      streamed: (request) => STREAM_PATH.test(request.path),
      reply: (shape) => (request) => answer(request, shape),
      recorded: {
        reply: () => streamReply(recordedEvents('gemini/stream-generate-content.txt')),
        // What the recorded pieces say; thinking tokens are output tokens.
        content:
          'AI learns patterns from data to make predictions or decisions without being explicitly programmed.',
        usage: { prompt: 9, completion: 17 + 1081 },
      },
      toolCall: {
        reply: () => streamReply(recordedEvents('gemini/stream-function-call.txt')),
        call: { name: 'get_weather', arguments: { location: 'Boston, MA', unit: 'celsius' } },
      },
    },
  };
}

export const geminiWire: GeminiStub['wire'] = {
  model: (request) => {
    const match = GENERATE_PATH.exec(request.path) ?? STREAM_PATH.exec(request.path);
    return match ? decodeURIComponent(match[1]) : undefined;
  },
  apiKey: (request) => {
    const value = request.headers['x-goog-api-key'];
    return Array.isArray(value) ? value[0] : value;
  },
  systemPrompt: (request) => {
    const system = bodyOf(request).systemInstruction;
    return system ? textOf(system) : undefined;
  },
  userTexts: (request) =>
    (bodyOf(request).contents ?? []).filter((content) => content.role === 'user').map(textOf),
  structuredSchema: (request) => bodyOf(request).generationConfig?.responseJsonSchema,
};

function answer(request: RecordedRequest, shape: StreamShape = {}): StubReply {
  if (request.method === 'POST' && EMBED_PATH.test(request.path)) return embedAnswer(request);
  const model = geminiWire.model(request);
  if (request.method !== 'POST' || typeof model !== 'string') {
    return errorReply(404, `Method not found: ${request.method} ${request.path}`);
  }
  if (!geminiWire.apiKey(request)) {
    return errorReply(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  const body = bodyOf(request);
  const contents = body.contents ?? [];
  const digest = createHash('sha256')
    .update(JSON.stringify([body.systemInstruction ?? null, contents]))
    .digest('hex')
    .slice(0, 12);
  const lastUser = [...contents].reverse().find((content) => content.role === 'user');
  const text = lastUser ? textOf(lastUser) : '';
  const config = body.generationConfig;
  const json = config?.responseMimeType === 'application/json';
  const answerText = !json
    ? `gemini-stub ${digest}: ${text}`
    : JSON.stringify(
        config?.responseJsonSchema
          ? schemaInstance(config.responseJsonSchema, `gemini-${digest}`)
          : { answer: text, digest },
      );
  const response = structuredClone(generateContentFixture);
  response.candidates[0].content.parts = [{ text: answerText }];
  response.modelVersion = model;
  response.responseId = `stub-${digest}`;
  const prompt = Math.ceil(JSON.stringify(contents).length / 4);
  const candidates = Math.ceil(answerText.length / 4);
  response.usageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    thoughtsTokenCount: 0,
  };
  if (!STREAM_PATH.test(request.path)) return { body: response };
  return streamReply(pieceEvents(response, answerText, shape), shape);
}

/** A response as streamGenerateContent sends it: the text in pieces, the finishReason on the last. */
function pieceEvents(response: typeof generateContentFixture, text: string, shape: StreamShape): string[] {
  const [candidate] = response.candidates;
  const usage = response.usageMetadata;
  const pieces = textPieces(text);
  return pieces.map((piece, index) => {
    const last = index === pieces.length - 1;
    const sent = pieces.slice(0, index + 1).join('').length;
    const candidates = Math.ceil((last ? text.length : sent) / 4);
    const value = {
      ...response,
      candidates: [
        {
          content: { ...candidate.content, parts: [{ text: piece }] },
          index: 0,
          ...(last && !shape.withoutEnd ? { finishReason: candidate.finishReason } : {}),
        },
      ],
      usageMetadata: {
        ...usage,
        candidatesTokenCount: candidates,
        totalTokenCount: usage.promptTokenCount + candidates,
      },
    };
    return `data: ${JSON.stringify(value)}\r\n\r\n`;
  });
}

interface GeminiEmbedBody {
  requests?: { model?: string; content?: GeminiContent; outputDimensionality?: number }[];
}

/**
 * `POST /v1beta/models/<model>:batchEmbedContents` as the Gemini API answers it: `embeddings[].values`
 * in the requests' order (768 long by default, gemini-embedding-001's recommended length), no usage.
 */
function embedAnswer(request: RecordedRequest): StubReply {
  if (!geminiWire.apiKey(request)) return errorReply(403, "Method doesn't allow unregistered callers.");
  const body = (request.body ?? {}) as GeminiEmbedBody;
  return {
    body: {
      embeddings: (body.requests ?? []).map((item) => ({
        values: stubVector(`gemini:${textOf(item.content ?? {})}`, item.outputDimensionality ?? 768),
      })),
    },
  };
}

function errorReply(status: number, message: string, headers: Record<string, string> = {}): StubReply {
  return {
    status,
    headers,
    body: { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } },
  };
}

function bodyOf(request: RecordedRequest): GeminiBody {
  return request.body ?? {};
}

function textOf(content: GeminiContent): string {
  return (content.parts ?? []).map((part) => part.text ?? '').join('');
}
