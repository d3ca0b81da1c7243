import { FastifyReply } from 'fastify';

/** Aborted when the client disconnects before its answer, so no provider work runs for nobody. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
