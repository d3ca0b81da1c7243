import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { sendError, toGatewayError } from './error-response';

/** The one exception filter: every failure leaves as the contract's error JSON, 500s without internals. */
@Catch()
export class ContractExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly bodyLimit: number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const { error, internal } = toGatewayError(exception, this.bodyLimit);
    if (internal) this.logger.error({ err: exception, request_id: request.id }, 'unhandled error');
    sendError(http.getResponse<FastifyReply>(), request, error);
  }
}
