import { INestApplication, applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiResponse,
  ApiSecurity,
  DocumentBuilder,
  HeaderObject,
  OpenAPIObject,
  ReferenceObject,
  SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { CacheStatus, MAX_CUSTOM_KEY_LENGTH, MAX_TTL_SECONDS } from '@breakwater/cache';
import {
  CACHE_MODES,
  ERROR_CODES,
  ErrorCode,
  JobStatus,
  PRIORITIES,
  PROCESSING_MODES,
  PROVIDER_IDS,
} from '@breakwater/contracts';
import { CircuitState } from '@breakwater/llm-provider';

/*
 * The OpenAPI description of the `/v1` contract, written once: the security schemes, the named body
 * schemas, the request and response headers, and the error responses derived from the one error table
 * (ERROR_CODES), so a controller states which codes it can give and the statuses follow.
 */

const BEARER = 'bearer';
const API_KEY = 'x-api-key';

const CACHE_STATUSES = ['HIT', 'MISS', 'BYPASS', 'STALE'] as const satisfies readonly CacheStatus[];
const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const satisfies readonly CircuitState[];
const JOB_STATUSES = [
  'queued',
  'processing',
  'completed',
  'failed',
  'expired',
] as const satisfies readonly JobStatus[];

/** Error codes whose body carries `retry_after` and whose answer carries `Retry-After`. */
const RETRY_AFTER_CODES: readonly ErrorCode[] = [
  'CONFLICT',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'PROVIDER_UNAVAILABLE',
  'QUEUE_FULL',
  'STORE_UNAVAILABLE',
];

/** What each code means to a caller: the summary of its example in every response that can carry it. */
const CODE_MEANINGS: Record<ErrorCode, string> = {
  INVALID_REQUEST: 'A body field, query parameter or header is invalid; `param` names it.',
  UNAUTHORIZED: 'No caller key, or an unknown one.',
  FORBIDDEN:
    'The caller is not allowed this: an admin-only action, or a model outside its `models` allow-list.',
  NOT_FOUND: 'Unknown, or not this caller’s.',
  CONFLICT: 'A request with this idempotency-key is still in progress.',
  EXPIRED: 'The queued request expired before it could be answered.',
  PAYLOAD_TOO_LARGE: 'The body exceeds MAX_BODY_BYTES.',
  UNSUPPORTED_MEDIA_TYPE: 'The body is not application/json.',
  RATE_LIMITED: 'A request window or the concurrency limit of the caller, end user or gateway is full.',
  BUDGET_EXCEEDED: 'A day’s token or USD budget is spent.',
  PROVIDER_NOT_CONFIGURED: 'The model’s provider has no API key (or the mock is disabled).',
  PROVIDER_ERROR: 'The provider rejected the request, or the queued request failed.',
  PROVIDER_UNAVAILABLE: 'The provider is unavailable and x-processing-mode is immediate.',
  QUEUE_FULL: 'The queue is above its high watermark.',
  STORE_UNAVAILABLE: 'Redis, which holds this queued request, is unreachable.',
  INTERNAL: 'An unexpected failure; the body names nothing internal.',
};

export type SchemaName =
  | 'ErrorBody'
  | 'ChatCompletion'
  | 'ChatCompletionChunk'
  | 'Response'
  | 'ResponseStreamEvent'
  | 'TextCompletion'
  | 'TextCompletionChunk'
  | 'EmbeddingList'
  | 'AcceptedBody'
  | 'JobStatusBody'
  | 'BatchResults'
  | 'ProviderList'
  | 'ProviderTest'
  | 'ModelList'
  | 'UsageCounts'
  | 'UsageReport'
  | 'CacheDeleted';

const ref = (name: SchemaName): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });

/**
 * OpenAI's list envelope, `{object: "list", data: [item, ...]}`, with `more` properties beside `data` (the
 * embeddings answer's `model` and `usage`).
 */
function listOf(
  item: SchemaObject,
  description?: string,
  more: Record<string, SchemaObject | ReferenceObject> = {},
): SchemaObject {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    required: ['object', 'data', ...Object.keys(more)],
    properties: {
      object: { type: 'string', enum: ['list'] },
      data: { type: 'array', items: item },
      ...more,
    },
  };
}

const USAGE_COUNTS: SchemaObject = {
  type: 'object',
  required: ['requests', 'cache_hits', 'tokens_in', 'tokens_out', 'cost_usd'],
  properties: {
    requests: { type: 'integer' },
    cache_hits: { type: 'integer' },
    tokens_in: { type: 'integer' },
    tokens_out: { type: 'integer' },
    cost_usd: { type: 'number' },
  },
};

const usagePeriod = (key: 'date' | 'month', format: string): SchemaObject => ({
  allOf: [
    ref('UsageCounts'),
    {
      type: 'object',
      required: [key, 'by_model'],
      properties: {
        [key]: { type: 'string', description: format },
        by_model: {
          type: 'object',
          description: 'Per `provider/model`.',
          additionalProperties: ref('UsageCounts'),
        },
      },
    },
  ],
});

/** The contract's bodies, named once in `components.schemas`. */
const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'];

/** The fields a chat.completion and its chunks open with. */
function completionHead(object: string): Record<string, SchemaObject> {
  return {
    id: { type: 'string' },
    object: { type: 'string', enum: [object] },
    created: { type: 'integer', description: 'Unix seconds.' },
    model: { type: 'string' },
  };
}

const SCHEMAS: Record<SchemaName, SchemaObject> = {
  ErrorBody: {
    type: 'object',
    description: 'Every error answer. Which codes a status carries is listed per response.',
    required: ['error', 'request_id'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'type'],
        properties: {
          code: { type: 'string', enum: Object.keys(ERROR_CODES) },
          message: { type: 'string', description: 'For a person; never a stack trace or a key.' },
          type: {
            type: 'string',
            enum: [...new Set(Object.values(ERROR_CODES).map((entry) => entry.type))],
            description: 'The OpenAI-style error type of the code.',
          },
          param: { type: 'string', description: 'The body field or header at fault (INVALID_REQUEST).' },
        },
      },
      request_id: { type: 'string', description: 'The x-request-id of the answer.' },
      retry_after: {
        type: 'integer',
        minimum: 0,
        description: 'Seconds to wait before retrying; the same as Retry-After.',
      },
    },
  },
  EmbeddingList: listOf(
    {
      type: 'object',
      required: ['object', 'index', 'embedding'],
      properties: {
        object: { type: 'string', enum: ['embedding'] },
        index: { type: 'integer' },
        embedding: {
          oneOf: [
            { type: 'array', items: { type: 'number' } },
            { type: 'string', description: 'encoding_format base64: little-endian float32 bytes.' },
          ],
        },
      },
    },
    "OpenAI's embeddings answer: one vector per input, in the inputs' order.",
    {
      model: { type: 'string', description: '`provider/model` that answered.' },
      usage: {
        type: 'object',
        required: ['prompt_tokens', 'total_tokens'],
        properties: { prompt_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
      },
    },
  ),
  ChatCompletion: {
    type: 'object',
    description: 'An OpenAI chat.completion object.',
    required: ['id', 'object', 'created', 'model', 'choices', 'usage'],
    properties: {
      ...completionHead('chat.completion'),
      choices: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'message', 'finish_reason'],
          properties: {
            index: { type: 'integer' },
            message: {
              type: 'object',
              required: ['role', 'content'],
              properties: {
                role: { type: 'string', enum: ['assistant'] },
                content: { type: 'string', nullable: true },
                tool_calls: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['id', 'type', 'function'],
                    properties: {
                      id: { type: 'string' },
                      type: { type: 'string', enum: ['function'] },
                      function: {
                        type: 'object',
                        required: ['name', 'arguments'],
                        properties: {
                          name: { type: 'string' },
                          arguments: { type: 'string', description: 'JSON text.' },
                        },
                      },
                    },
                  },
                },
                refusal: { type: 'string', nullable: true },
              },
            },
            finish_reason: {
              type: 'string',
              enum: [...FINISH_REASONS],
            },
            logprobs: {
              type: 'object',
              nullable: true,
              description:
                'Token log probabilities when the request set logprobs (OpenAI-compatible providers), else null.',
            },
          },
        },
      },
      usage: {
        type: 'object',
        required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
        properties: {
          prompt_tokens: { type: 'integer' },
          completion_tokens: { type: 'integer' },
          total_tokens: { type: 'integer' },
        },
      },
      system_fingerprint: { type: 'string', nullable: true },
    },
  },
  ChatCompletionChunk: {
    type: 'object',
    description:
      'One `data:` event of a streamed answer (`stream: true`). The stream ends with `data: [DONE]`; a last chunk with no choices carries `usage` when `stream_options.include_usage` is true; a failure after the first chunk is an ErrorBody event before `[DONE]`.',
    required: ['id', 'object', 'created', 'model', 'choices'],
    properties: {
      ...completionHead('chat.completion.chunk'),
      choices: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'delta', 'finish_reason'],
          properties: {
            index: { type: 'integer' },
            delta: {
              type: 'object',
              description: 'What this chunk adds: `role` (first), `content`, `tool_calls` pieces, `refusal`.',
            },
            finish_reason: {
              type: 'string',
              nullable: true,
              enum: [...FINISH_REASONS],
            },
          },
        },
      },
      usage: { type: 'object', nullable: true, description: 'Only on the last chunk, as in ChatCompletion.' },
    },
  },
  Response: {
    type: 'object',
    description:
      'An OpenAI Responses API `response` object (POST /v1/responses), made from the chat answer; the request’s settings are echoed.',
    required: ['id', 'object', 'created_at', 'status', 'model', 'output', 'output_text', 'usage'],
    properties: {
      id: { type: 'string', description: '`resp_…`, fresh for every answer.' },
      object: { type: 'string', enum: ['response'] },
      created_at: { type: 'integer', description: 'Unix seconds.' },
      status: {
        type: 'string',
        enum: ['completed', 'incomplete'],
        description: '`incomplete` when the answer was cut short (`incomplete_details.reason`).',
      },
      incomplete_details: {
        type: 'object',
        nullable: true,
        properties: { reason: { type: 'string', enum: ['max_output_tokens', 'content_filter'] } },
      },
      model: { type: 'string' },
      output: {
        type: 'array',
        description:
          'A `message` item (`output_text` or `refusal` content) unless the model only called tools, then one `function_call` item (`call_id`, `name`, `arguments`) per call.',
        items: { type: 'object', required: ['type', 'id', 'status'] },
      },
      output_text: { type: 'string', description: 'The text of every output_text part, joined.' },
      usage: {
        type: 'object',
        required: ['input_tokens', 'output_tokens', 'total_tokens'],
        properties: {
          input_tokens: { type: 'integer' },
          output_tokens: { type: 'integer' },
          total_tokens: { type: 'integer' },
        },
      },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  ResponseStreamEvent: {
    type: 'object',
    description:
      'One event of a streamed response (`stream: true`), written as `event: <type>` and `data: <event>`: response.created, response.in_progress, response.output_item.added, response.content_part.added, response.output_text.delta, response.output_text.done, response.content_part.done, response.function_call_arguments.delta, response.function_call_arguments.done, response.output_item.done, then response.completed or response.incomplete (with the whole Response); a failure after the first event is an `error` event, then response.failed.',
    required: ['type', 'sequence_number'],
    properties: {
      type: { type: 'string' },
      sequence_number: { type: 'integer', description: 'From 0, one more per event.' },
    },
  },
  TextCompletion: {
    type: 'object',
    description: 'A legacy `text_completion` (POST /v1/completions): one choice per prompt.',
    required: ['id', 'object', 'created', 'model', 'choices', 'usage'],
    properties: {
      id: { type: 'string' },
      object: { type: 'string', enum: ['text_completion'] },
      created: { type: 'integer', description: 'Unix seconds.' },
      model: { type: 'string' },
      choices: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'text', 'finish_reason', 'logprobs'],
          properties: {
            index: { type: 'integer' },
            text: { type: 'string' },
            finish_reason: { type: 'string', enum: ['stop', 'length', 'content_filter'] },
            logprobs: { type: 'object', nullable: true },
          },
        },
      },
      usage: {
        type: 'object',
        required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
        properties: {
          prompt_tokens: { type: 'integer' },
          completion_tokens: { type: 'integer' },
          total_tokens: { type: 'integer' },
        },
      },
    },
  },
  TextCompletionChunk: {
    type: 'object',
    description:
      'One `data:` event of a streamed legacy completion: `text_completion` with the choice’s new `text`; the last carries `finish_reason`. The stream ends with `data: [DONE]`; a failure after the first chunk is an ErrorBody event before it.',
    required: ['id', 'object', 'created', 'model', 'choices'],
    properties: {
      id: { type: 'string' },
      object: { type: 'string', enum: ['text_completion'] },
      created: { type: 'integer' },
      model: { type: 'string' },
      choices: { type: 'array', items: { type: 'object' } },
    },
  },
  AcceptedBody: {
    type: 'object',
    description: 'Queued: poll status_url or result_url, or wait for the x-callback-url webhook.',
    required: ['queue_id', 'status', 'status_url', 'result_url', 'expires_at', 'durable', 'reason'],
    properties: {
      queue_id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: ['queued'] },
      status_url: { type: 'string', example: '/v1/status/<queue_id>' },
      result_url: { type: 'string', example: '/v1/results/<queue_id>' },
      expires_at: { type: 'string', format: 'date-time' },
      durable: {
        type: 'boolean',
        description: 'true: the job is in Redis; false: in the local queue of embedded mode.',
      },
      reason: { type: 'string', description: 'Why it was queued.' },
    },
  },
  JobStatusBody: {
    type: 'object',
    required: ['queue_id', 'status', 'attempts', 'created_at', 'updated_at', 'expires_at'],
    properties: {
      queue_id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: [...JOB_STATUSES] },
      attempts: { type: 'integer', minimum: 0 },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
      expires_at: { type: 'string', format: 'date-time' },
      position: { type: 'integer', minimum: 0, description: 'While queued: how many jobs are ahead.' },
      error: {
        type: 'object',
        description: 'The last failure (failed, expired, or a queued job being retried).',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  BatchResults: {
    type: 'object',
    required: ['results'],
    properties: {
      results: {
        type: 'array',
        description: 'One per request, in order: each as POST /v1/chat/completions would answer it.',
        items: {
          type: 'object',
          required: ['status', 'body'],
          properties: {
            status: { type: 'integer', example: 200 },
            body: { oneOf: [ref('ChatCompletion'), ref('AcceptedBody'), ref('ErrorBody')] },
          },
        },
      },
    },
  },
  ProviderList: listOf({
    type: 'object',
    required: ['id', 'configured', 'circuit', 'models'],
    properties: {
      id: { type: 'string', enum: [...PROVIDER_IDS] },
      configured: { type: 'boolean' },
      circuit: { type: 'string', enum: [...CIRCUIT_STATES] },
      models: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'input_usd_per_million', 'output_usd_per_million'],
          properties: {
            id: { type: 'string' },
            input_usd_per_million: { type: 'number' },
            output_usd_per_million: { type: 'number' },
          },
        },
      },
    },
  }),
  ModelList: listOf(
    {
      type: 'object',
      required: ['id', 'object', 'created', 'owned_by'],
      properties: {
        id: { type: 'string', description: 'An alias, or `provider/model`.' },
        object: { type: 'string', enum: ['model'] },
        created: { type: 'integer', description: 'Unix seconds; when the gateway started.' },
        owned_by: { type: 'string', description: 'The provider, or `breakwater` for an alias.' },
      },
    },
    'OpenAI’s model list: the MODELS_FILE aliases and `provider/model` names this caller may use.',
  ),
  ProviderTest: {
    type: 'object',
    required: ['provider', 'ok', 'model', 'latency_ms'],
    properties: {
      provider: { type: 'string', enum: [...PROVIDER_IDS] },
      ok: { type: 'boolean', description: 'Whether the provider answered.' },
      model: { type: 'string', description: 'The `provider/model` asked.' },
      latency_ms: { type: 'integer', minimum: 0 },
      error: {
        type: 'object',
        description: 'Why it did not answer, as the contract’s errors say it (no key, no stack).',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: Object.keys(ERROR_CODES) },
          message: { type: 'string' },
        },
      },
    },
  },
  UsageCounts: USAGE_COUNTS,
  UsageReport: {
    type: 'object',
    description: 'Usage today and this month (UTC).',
    required: ['caller', 'day', 'month'],
    properties: {
      caller: { type: 'string' },
      day: usagePeriod('date', 'YYYY-MM-DD'),
      month: usagePeriod('month', 'YYYY-MM'),
    },
  },
  CacheDeleted: {
    type: 'object',
    required: ['deleted'],
    properties: { deleted: { type: 'integer', minimum: 0, description: 'The entries deleted.' } },
  },
};

const RATE_LIMIT_NOTE = 'When a request window applies to the caller: its tightest one.';

const RESPONSE_HEADERS = {
  'x-request-id': {
    description: 'The caller’s x-request-id when usable, else a new UUID.',
    schema: { type: 'string' },
  },
  'x-cache': {
    description: 'How the cache took part.',
    schema: { type: 'string', enum: [...CACHE_STATUSES] },
  },
  'x-provider': { description: 'The provider that answered.', schema: { type: 'string' } },
  'x-model': {
    description: 'The model that answered (a fallback’s when one did).',
    schema: { type: 'string' },
  },
  'x-breakwater-dropped-params': {
    description:
      'Comma list of request fields the answering provider has no equivalent for (left out of its request); absent when none.',
    schema: { type: 'string' },
  },
  'x-ratelimit-limit': { description: `${RATE_LIMIT_NOTE} Its size.`, schema: { type: 'integer' } },
  'x-ratelimit-remaining': { description: `${RATE_LIMIT_NOTE} Requests left.`, schema: { type: 'integer' } },
  'x-ratelimit-reset': {
    description: `${RATE_LIMIT_NOTE} Seconds until it starts over.`,
    schema: { type: 'integer' },
  },
  'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer' } },
  Location: { description: 'The status URL of the queued request.', schema: { type: 'string' } },
} satisfies Record<string, HeaderObject>;

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

const RATE_LIMIT_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'] as const;

function headersOf(names: readonly ResponseHeaderName[]): Record<string, HeaderObject> {
  return Object.fromEntries(
    ['x-request-id' as const, ...names].map((name) => [name, RESPONSE_HEADERS[name]]),
  );
}

/**
 * A success answer of `status` with its named body schema and headers: x-request-id always, and the
 * x-ratelimit-* headers that every authenticated `/v1` answer carries when a request window applies.
 */
export function ApiAnswer(
  status: 200 | 202,
  schema: SchemaName,
  description: string,
  ...headers: ResponseHeaderName[]
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    schema: ref(schema),
    headers: headersOf([...RATE_LIMIT_HEADERS, ...headers]),
  });
}

/**
 * The 200 of an operation that can stream chat chunks: its JSON `schema`, or with `stream: true` server-sent
 * events of `chunk` ending with `data: [DONE]`.
 */
export function ApiStreamableAnswer(
  schema: SchemaName,
  chunk: SchemaName,
  description: string,
  ...headers: ResponseHeaderName[]
): MethodDecorator & ClassDecorator {
  return ApiEventStreamAnswer(
    schema,
    chunk,
    `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: [DONE]\n\n`,
    description,
    ...headers,
  );
}

/**
 * The 200 of an event stream: `text/event-stream` described in words (OpenAPI 3.0 has no schema for a stream
 * of events), with the headers of every authenticated `/v1` answer.
 */
export function ApiEventStream(description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status: 200,
    description,
    content: { 'text/event-stream': { schema: { type: 'string' } } },
    headers: headersOf(RATE_LIMIT_HEADERS),
  });
}

/**
 * The 200 of an operation whose stream is not chat chunks: its JSON `schema`, or with `stream: true`
 * server-sent events of `event`, shown by `example`.
 */
export function ApiEventStreamAnswer(
  schema: SchemaName,
  event: SchemaName,
  example: string,
  description: string,
  ...headers: ResponseHeaderName[]
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status: 200,
    description,
    content: {
      'application/json': { schema: ref(schema) },
      'text/event-stream': {
        schema: { type: 'string', description: `Events of ${event} (see its schema).` },
        example,
      },
    },
    headers: headersOf([...RATE_LIMIT_HEADERS, ...headers]),
  });
}

/**
 * What a completion endpoint answers besides its 200: the 202 of a queued request (naming what its result
 * will be) and the errors of the completion path.
 */
export function ApiCompletionOutcomes(result: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiAnswer(
      202,
      'AcceptedBody',
      `Queued: the provider is unavailable (queue_if_unavailable) or x-processing-mode is async. The result at result_url is ${result}.`,
      'x-cache',
      'Location',
      'Retry-After',
    ),
    ApiContractErrors(
      'INVALID_REQUEST',
      'FORBIDDEN',
      'PROVIDER_NOT_CONFIGURED',
      'CONFLICT',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'RATE_LIMITED',
      'BUDGET_EXCEEDED',
      'PROVIDER_ERROR',
      'PROVIDER_UNAVAILABLE',
      'QUEUE_FULL',
    ),
  );
}

/**
 * The error answers an operation can give, one response per status, each with the ErrorBody schema and
 * one example per code (its key is the code), so a reader sees which codes a status carries.
 */
export function ApiContractErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, carried]) => {
      const headers: ResponseHeaderName[] = [];
      if (carried.some((code) => RETRY_AFTER_CODES.includes(code))) headers.push('Retry-After');
      if (status === 429) headers.push(...RATE_LIMIT_HEADERS);
      const examples: Record<string, { summary: string; value: object }> = Object.fromEntries(
        carried.map((code) => [code, { summary: CODE_MEANINGS[code], value: exampleOf(code) }]),
      );
      return ApiResponse({
        status,
        description: carried.map((code) => `${code}: ${CODE_MEANINGS[code]}`).join(' '),
        schema: ref('ErrorBody'),
        examples,
        headers: headersOf(headers),
      });
    }),
  );
}

function exampleOf(code: ErrorCode): object {
  return {
    error: {
      code,
      message: CODE_MEANINGS[code],
      type: ERROR_CODES[code].type,
      ...(code === 'INVALID_REQUEST' ? { param: 'messages' } : {}),
    },
    request_id: '3f2c7e0a-5b1d-4c8e-9a6f-2d4b8c1e7a90',
    ...(RETRY_AFTER_CODES.includes(code) ? { retry_after: 2 } : {}),
  };
}

/**
 * A `/v1` controller: authenticated by a caller key in either scheme (so every operation can answer
 * 401), able to answer 500 like anything, and taking an x-request-id to echo.
 */
export function ApiCaller(): ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(BEARER),
    ApiSecurity(API_KEY),
    ApiHeader({
      name: 'x-request-id',
      required: false,
      description: 'Echoed on the answer and in every log line and queued job; up to 128 printable ASCII.',
      schema: { type: 'string', maxLength: 128 },
    }),
    ApiContractErrors('UNAUTHORIZED', 'INTERNAL'),
  );
}

/** The contract's request headers that steer a completion (chat and each item of a batch). */
export function ApiCompletionHeaders({ idempotent }: { idempotent: boolean }): MethodDecorator {
  const headers = [
    {
      name: 'x-processing-mode',
      description:
        "When the provider is unavailable: queue and 202 (queue_if_unavailable), 503 with Retry-After up to IMMEDIATE_RETRY_AFTER_SECONDS (immediate); async always queues and answers 202. Absent: the caller's processing_mode, else queue_if_unavailable.",
      schema: { type: 'string', enum: [...PROCESSING_MODES], default: 'queue_if_unavailable' },
    },
    {
      name: 'x-cache-mode',
      description:
        'bypass: no read, no write; refresh: no read, write. Cache-Control no-store means bypass, no-cache refresh; the stricter wins.',
      schema: { type: 'string', enum: [...CACHE_MODES], default: 'default' },
    },
    {
      name: 'cache-control',
      description: 'no-store: as x-cache-mode bypass; no-cache: as refresh; other directives are ignored.',
      schema: { type: 'string' },
    },
    {
      name: 'x-cache-ttl',
      description: 'Seconds the entry written lives.',
      schema: { type: 'integer', minimum: 1, maximum: MAX_TTL_SECONDS },
    },
    {
      name: 'x-cache-key',
      description: 'The caller’s own cache key instead of the request hash, inside its namespace.',
      schema: { type: 'string', minLength: 1, maxLength: MAX_CUSTOM_KEY_LENGTH },
    },
    {
      name: 'x-fallback-models',
      description: 'Comma list of up to 5 `provider/model`, tried in order when the first is unavailable.',
      schema: { type: 'string' },
    },
    {
      name: 'x-priority',
      description:
        "Order of a queued request: high, normal, low; FIFO within one. Absent: the caller's priority, else normal. Capped by the caller's max_priority.",
      schema: { type: 'string', enum: [...PRIORITIES], default: 'normal' },
    },
    {
      name: 'x-end-user',
      description: 'An end user of the caller: the caller’s end_user_limits apply to it.',
      schema: { type: 'string', maxLength: 128 },
    },
    {
      name: 'x-callback-url',
      description:
        'http(s) URL on a WEBHOOK_ALLOWED_HOSTS host: a queued request’s end is POSTed there, signed with x-breakwater-signature.',
      schema: { type: 'string', format: 'uri', maxLength: 2048 },
    },
    ...(idempotent
      ? [
          {
            name: 'idempotency-key',
            description: 'A repeat within 24 h gets the same answer or queue_id; no second provider call.',
            schema: { type: 'string', maxLength: 128 },
          },
        ]
      : []),
  ];
  return applyDecorators(...headers.map((header) => ApiHeader({ ...header, required: false })));
}

/** The gateway's OpenAPI document: what Swagger UI at /docs shows and /docs-json serves. */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Breakwater')
      .setDescription(
        'An OpenAI-compatible LLM gateway: cache, limits, circuit breakers and a durable queue.',
      )
      .setVersion('0.1.0')
      // The keys are opaque strings from CALLERS_FILE, not JWTs: no bearerFormat.
      .addSecurity(BEARER, {
        type: 'http',
        scheme: 'bearer',
        description: 'Authorization: Bearer <key>, a caller key from CALLERS_FILE.',
      })
      .addApiKey(
        { type: 'apiKey', in: 'header', name: API_KEY, description: 'The same caller key, in x-api-key.' },
        API_KEY,
      )
      .build(),
  );
  const components = document.components ?? {};
  document.components = { ...components, schemas: { ...components.schemas, ...SCHEMAS } };
  return document;
}
