/**
 * The span attribute names the gateway sets, spelled once: OpenTelemetry's semantic conventions (HTTP,
 * messaging, GenAI) and the gateway's own under `breakwater.`. Written out rather than imported, so that a
 * process with tracing off loads no semantic-conventions tables.
 */
export const ATTR = {
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  errorType: 'error.type',
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.type',
  messagingDestination: 'messaging.destination.name',
  messagingMessageId: 'messaging.message.id',
  genAiOperation: 'gen_ai.operation.name',
  genAiSystem: 'gen_ai.system',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiInputTokens: 'gen_ai.usage.input_tokens',
  genAiOutputTokens: 'gen_ai.usage.output_tokens',
  requestId: 'breakwater.request_id',
  caller: 'breakwater.caller',
  attempt: 'breakwater.attempt',
  outcome: 'breakwater.outcome',
  cacheStatus: 'breakwater.cache',
} as const;
