import { FastifyReply, FastifyRequest } from 'fastify';
import { requestLogFields } from '@breakwater/observability';

/** Who answered a request and what it cost, as its headers and its request log line show it. */
export interface Answered {
  provider: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Request fields the provider had no equivalent for (droppedParams); chat answers only. */
  droppedParams?: string[];
}

/**
 * `x-provider` and `x-model` on the answer, and the same with tokens and cost on the request's log line;
 * dropped fields, if any, as `x-breakwater-dropped-params` and `dropped_params`.
 */
export function markAnswered(request: FastifyRequest, reply: FastifyReply, answered: Answered): void {
  reply.header('x-provider', answered.provider).header('x-model', answered.model);
  const log = requestLogFields(request.raw);
  if (answered.droppedParams && answered.droppedParams.length > 0) {
    reply.header('x-breakwater-dropped-params', answered.droppedParams.join(','));
    Object.assign(log, { dropped_params: answered.droppedParams });
  }
  Object.assign(log, {
    provider: answered.provider,
    model: answered.model,
    tokens_in: answered.tokensIn,
    tokens_out: answered.tokensOut,
    cost_usd: answered.costUsd,
  });
}
