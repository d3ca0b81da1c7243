import { CachePlan } from '@breakwater/cache';
import { AnswerShape, shapedAnswer } from '@breakwater/completion';
import {
  AcceptedBody,
  ChatCompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  EncodedEmbeddingList,
  JobStatusBody,
  Priority,
} from '@breakwater/contracts';
import { BudgetReservation } from '@breakwater/rate-limit';

/** Everything a worker needs to answer a queued request exactly as the gateway would have. */
export type LlmJobData = ChatJobData | EmbeddingsJobData;

/** A chat completion to make; jobs queued before `kind` existed are these. */
export interface ChatJobData extends JobFacts {
  kind?: 'chat';
  request: ChatCompletionRequest;
  /** The shape the result is given in (a Responses `response`, a legacy `text_completion`); absent: chat. */
  answerShape?: AnswerShape;
}

/** Embeddings to make: the request keeps its `encoding_format`, which the result is written in. */
export interface EmbeddingsJobData extends JobFacts {
  kind: 'embeddings';
  request: EmbeddingRequest;
}

/** What a finished job answers on `/v1/results`: the body its request's 200 would have had. */
export type LlmJobResult = ReturnType<typeof shapedAnswer> | EmbeddingList | EncodedEmbeddingList;

interface JobFacts {
  queueId: string;
  requestId: string;
  callerId: string;
  fallbackModels: string[];
  callbackUrl?: string;
  /** Why it was queued (`async mode`, or the provider's failure). */
  reason: string;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
  /** Where the answer goes in the cache, as the request planned it. */
  cachePlan?: CachePlan;
  /** The budget the request reserved, settled with the real spend when the job ends (or released). */
  reservation?: BudgetReservation;
  /** The enqueue span's W3C trace context, which the worker's span continues (absent with tracing off). */
  traceparent?: string;
  /**
   * The order it drains in, higher first and first in, first out within one priority. Given by the
   * request (`x-priority`), resolved by the producer against the caller's default and ceiling.
   */
  priority?: Priority;
}

/**
 * What a BullMQ job's progress holds while it waits on a provider that refuses calls (an open breaker, the
 * outbound quota): why, for its status' `error`, since waiting spends no attempt and leaves no failure
 * reason. Progress is a small field of its own, so saying why does not rewrite the job's request.
 */
export interface HeldProgress {
  held?: { code: string; message: string };
}

/** The wait reason in a job's progress, if it holds one. */
export function heldOf(progress: unknown): { code: string; message: string } | undefined {
  const held = (progress as HeldProgress | null)?.held;
  return typeof held?.code === 'string' && typeof held.message === 'string' ? held : undefined;
}

/** A job as the status and results endpoints see it, wherever it lives. */
export interface JobView {
  callerId: string;
  status: JobStatusBody;
  result?: LlmJobResult;
}

export function acceptedBody(data: LlmJobData, durable: boolean): AcceptedBody {
  return {
    queue_id: data.queueId,
    status: 'queued',
    status_url: `/v1/status/${data.queueId}`,
    result_url: `/v1/results/${data.queueId}`,
    expires_at: new Date(data.expiresAt).toISOString(),
    durable,
    reason: data.reason,
  };
}

/** The marker of a job that outlived QUEUE_REQUEST_TTL_SECONDS, in its failure reason. */
export const EXPIRED_REASON = 'EXPIRED';
