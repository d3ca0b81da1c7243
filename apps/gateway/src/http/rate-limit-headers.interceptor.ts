import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { Observable, from, switchMap } from 'rxjs';
import { Limits } from '@breakwater/rate-limit';
import { AuthenticatedRequest } from '../auth/caller.guard';

/**
 * `x-ratelimit-*` on the `/v1` answers that are not LLM requests (status, results, providers, cache,
 * usage): the caller's tightest window as it stands, counting nothing. Set before the handler runs, so
 * its errors (404, 403, 410) carry them too. The chat and batch endpoints set their own from admit().
 */
@Injectable()
export class RateLimitHeadersInterceptor implements NestInterceptor {
  constructor(private readonly limits: Limits) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const { caller } = http.getRequest<AuthenticatedRequest>();
    const reply = http.getResponse<FastifyReply>();
    return from(this.limits.peek(caller)).pipe(
      switchMap((headers) => {
        reply.headers(headers);
        return next.handle();
      }),
    );
  }
}
