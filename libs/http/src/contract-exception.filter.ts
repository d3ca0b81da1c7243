import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '@breakwater/contracts';
import { sendError, toGatewayError } from './error-response';

const errorsLog = new Logger('Errors');

/**
 * The contract error for anything thrown while answering `requestId`. A failure that becomes INTERNAL
 * is logged here with its stack, since the body says only "internal error": every place that turns an
 * exception into an answer (the filter, each item of a batch) goes through this, so none can forget.
 * `fields` add context to that line (which batch item).
 */
export function contractErrorOf(
  exception: unknown,
  bodyLimit: number,
  requestId: string,
  fields: Record<string, unknown> = {},
): GatewayError {
  const { error, internal } = toGatewayError(exception, bodyLimit);
  if (internal) errorsLog.error({ err: exception, request_id: requestId, ...fields }, 'unhandled error');
  return error;
}

function clientClosed(reply: FastifyReply): boolean {
  return reply.raw.destroyed && !reply.raw.writableFinished;
}

/** The one exception filter: every failure leaves as the contract's error JSON, 500s without internals. */
@Catch()
export class ContractExceptionFilter implements ExceptionFilter {
  constructor(private readonly bodyLimit: number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (clientClosed(reply)) {
      // The work was cancelled because nobody waits for it (its signal aborted): no bug, no answer to send.
      errorsLog.log({ request_id: request.id }, 'the client closed the connection before its answer');
      return;
    }
    sendError(reply, request, contractErrorOf(exception, this.bodyLimit, request.id));
  }
}
