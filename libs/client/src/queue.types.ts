/**
 * The contract's bodies for queued requests, as the client reads them. They mirror AcceptedBody and
 * JobStatusBody of libs/queue, which cannot be imported here: that lib brings BullMQ and Nest, and this
 * one must stay publishable alone.
 */

export type JobState = 'queued' | 'processing' | 'completed' | 'failed' | 'expired';

/** `GET /v1/status/<id>`, and the body of a 202 from `GET /v1/results/<id>`. */
export interface JobStatusBody {
  queue_id: string;
  status: JobState;
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
