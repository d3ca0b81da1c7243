import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig, sha256Hex } from '@breakwater/config';
import { GatewayError } from '@breakwater/contracts';
import { sendError } from '@breakwater/http';

/** Where Bull Board is served: the page, its static assets and its JSON API all live under it. */
export const BOARD_ROUTE = '/admin/queues';

const CHALLENGE = 'Basic realm="Breakwater queues", charset="UTF-8"';

/**
 * Lets only admin callers reach Bull Board, by HTTP Basic auth whose password is the caller's key (any
 * user name), so a browser can open it. It is a Fastify hook on every route under BOARD_ROUTE, judged
 * by the route that matched rather than the URL as sent, because @bull-board/nestjs applies its
 * `middleware` to the exact route only and would leave the board's API and assets open.
 */
@Injectable()
export class BoardAccess implements OnModuleInit {
  private readonly adminDigests: Set<string>;

  constructor(
    config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.adminDigests = new Set(
      config.callers.list.filter((caller) => caller.role === 'admin').map((caller) => caller.keySha256),
    );
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!isBoardRoute(request.routeOptions.url) || this.admits(request)) return done();
      this.refuse(request, reply);
    });
  }

  private admits(request: FastifyRequest): boolean {
    const key = basicPassword(request.headers.authorization);
    return key !== undefined && this.adminDigests.has(sha256Hex(key));
  }

  private refuse(request: FastifyRequest, reply: FastifyReply): void {
    reply.header('www-authenticate', CHALLENGE);
    sendError(
      reply,
      request,
      new GatewayError(
        'UNAUTHORIZED',
        'the queue board needs HTTP Basic auth with an admin key as the password',
      ),
    );
  }
}

function isBoardRoute(url: string | undefined): boolean {
  return url !== undefined && (url === BOARD_ROUTE || url.startsWith(`${BOARD_ROUTE}/`));
}

/** The password of `Authorization: Basic base64(user:password)`. */
function basicPassword(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 || colon === decoded.length - 1 ? undefined : decoded.slice(colon + 1);
}
