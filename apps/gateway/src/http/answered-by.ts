import { FastifyReply, FastifyRequest } from 'fastify';
import { requestLogFields } from '@breakwater/observability';

/** Who answered a request, and which of its fields that provider had no equivalent for. */
export interface AnsweredBy {
  provider: string;
  model: string;
  /** Request fields the provider had no equivalent for (droppedParams); chat answers only. */
  droppedParams?: string[];
}

/** What an answer used and cost. */
export interface Spent {
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** `x-provider` and `x-model` on the answer, and the same with tokens and cost on the request's log line. */
export function markAnswered(
  request: FastifyRequest,
  reply: FastifyReply,
  answered: AnsweredBy & Spent,
): void {
  markAnsweredBy(request, reply, answered);
  markSpent(request, answered);
}

/**
 * `x-provider` and `x-model`, and the same on the log line: all a streamed answer knows at its first byte;
 * dropped fields, if any, as `x-breakwater-dropped-params` and `dropped_params`.
 */
export function markAnsweredBy(request: FastifyRequest, reply: FastifyReply, answered: AnsweredBy): void {
  reply.header('x-provider', answered.provider).header('x-model', answered.model);
  const log = requestLogFields(request.raw);
  if (answered.droppedParams && answered.droppedParams.length > 0) {
    reply.header('x-breakwater-dropped-params', answered.droppedParams.join(','));
    Object.assign(log, { dropped_params: answered.droppedParams });
  }
  Object.assign(log, { provider: answered.provider, model: answered.model });
}

/** Tokens and cost on the request's log line (a stream's once it has ended). */
export function markSpent(request: FastifyRequest, spent: Spent): void {
  Object.assign(requestLogFields(request.raw), {
    tokens_in: spent.tokensIn,
    tokens_out: spent.tokensOut,
    cost_usd: spent.costUsd,
  });
}
