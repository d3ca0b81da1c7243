/**
 * The contract's HTTP surface beyond the OpenAI bodies: the processing and cache modes a request may ask
 * for, and the bodies of queued requests. The gateway answers with these and the client reads them.
 */

/** `x-processing-mode`: what the gateway does when the provider is unavailable (queue, 503, always queue). */
export const PROCESSING_MODES = ['queue_if_unavailable', 'immediate', 'async'] as const;
export type ProcessingMode = (typeof PROCESSING_MODES)[number];

/** `x-priority`: the order of a queued request, highest first; `normal` unless the caller says otherwise. */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** `x-cache-mode`: `bypass` neither reads nor writes, `refresh` writes without reading. */
export const CACHE_MODES = ['default', 'bypass', 'refresh'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'expired';

/** `GET /v1/status/<id>`, and the body of a 202 from `GET /v1/results/<id>`. */
export interface JobStatusBody {
  queue_id: string;
  status: JobStatus;
  attempts: number;
  created_at: string;
  updated_at: string;
  expires_at: string;
  /** While queued: how many jobs are ahead. */
  position?: number;
  error?: { code: string; message: string };
}

/** The body of a 202 from `POST /v1/chat/completions`. */
export interface AcceptedBody {
  queue_id: string;
  status: 'queued';
  status_url: string;
  result_url: string;
  expires_at: string;
  /** true: the job is in Redis; false: in one gateway's memory (embedded mode). */
  durable: boolean;
  reason: string;
}
