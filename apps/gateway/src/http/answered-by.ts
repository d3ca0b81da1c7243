import { FastifyReply, FastifyRequest } from 'fastify';
import { requestLogFields } from '@breakwater/observability';

/** Who answered a request and what it cost, as its headers and its request log line show it. */
export interface Answered {
  provider: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** `x-provider` and `x-model` on the answer, and the same with tokens and cost on the request's log line. */
export function markAnswered(request: FastifyRequest, reply: FastifyReply, answered: Answered): void {
  reply.header('x-provider', answered.provider).header('x-model', answered.model);
  Object.assign(requestLogFields(request.raw), {
    provider: answered.provider,
    model: answered.model,
    tokens_in: answered.tokensIn,
    tokens_out: answered.tokensOut,
    cost_usd: answered.costUsd,
  });
}
