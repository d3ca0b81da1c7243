// The TypeScript client users import: chat() answers whether the gateway replied 200 or 202 (polling queued
// requests with backoff and Retry-After), with typed errors. Only the global fetch at run time; contracts are types.
export * from './breakwater-client';
export * from './client-errors';
export * from './poll-policy';
export type {
  AcceptedBody,
  CacheMode,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ErrorBody,
  ErrorCode,
  JobStatus,
  JobStatusBody,
  ProcessingMode,
} from '@breakwater/contracts';
