import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { AppConfig, sha256Hex } from '@breakwater/config';
import { Caller, GatewayError } from '@breakwater/contracts';
import { requestLogFields } from '@breakwater/observability';

export type AuthenticatedRequest = FastifyRequest & { caller: Caller };

/**
 * Authenticates `/v1` calls by `Authorization: Bearer <key>` or `x-api-key: <key>`. Keys are known only
 * by their SHA-256: the presented key is hashed and looked up by digest, so no stored key is ever
 * compared byte by byte and response timing says nothing about any key.
 */
@Injectable()
export class CallerGuard implements CanActivate {
  private readonly byDigest: Map<string, Caller>;

  constructor(config: AppConfig) {
    this.byDigest = new Map(config.callers.list.map((caller) => [caller.keySha256, caller]));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = presentedKey(request);
    if (!key) {
      throw new GatewayError(
        'UNAUTHORIZED',
        'missing API key: send Authorization: Bearer <key> or x-api-key: <key>',
      );
    }
    const caller = this.byDigest.get(sha256Hex(key));
    if (!caller) throw new GatewayError('UNAUTHORIZED', 'invalid API key');
    request.caller = caller;
    requestLogFields(request.raw).caller = caller.id;
    return true;
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}
