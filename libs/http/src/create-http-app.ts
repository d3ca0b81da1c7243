import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@breakwater/config';
import {
  MAX_LOGGED_PATH,
  Metrics,
  RequestLog,
  Span,
  Tracing,
  requestLogFields,
} from '@breakwater/observability';
import { installBoundedJsonParser } from './bounded-json.parser';
import { ContractExceptionFilter } from './contract-exception.filter';

const MAX_REQUEST_ID_LENGTH = 128;
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The caller's `x-request-id` when it is usable (printable ASCII, up to 128 characters, so it cannot
 * forge log lines), else a new UUID.
 */
function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  if (typeof given === 'string' && given.length <= MAX_REQUEST_ID_LENGTH && PRINTABLE.test(given))
    return given;
  return randomUUID();
}

/** A request's path as logged: no query string (it may carry anything), at most MAX_LOGGED_PATH characters. */
function pathOf(url: string | undefined): string {
  const path = (url ?? '').split('?', 1)[0];
  return path.length > MAX_LOGGED_PATH ? path.slice(0, MAX_LOGGED_PATH) : path;
}

const SERVER_SPAN = Symbol('breakwater.serverSpan');

/** Probes and scrapes: every few seconds per pod, they would bury the traces that matter. */
const UNTRACED = /^\/(health\/|metrics$)/;

type WithSpan = IncomingMessage & { [SERVER_SPAN]?: Span };

/**
 * A server span per request (probes and scrapes left out), installed only with tracing on. It starts when the request arrives (the
 * caller's `traceparent` as its parent) and becomes the active context in the last hook before the
 * handler, since body parsing runs on the socket's events, outside any context set earlier; it ends
 * with the response, or when the client goes away first.
 */
function traceRequests(fastify: FastifyInstance, tracing: Tracing): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw as WithSpan;
    const path = pathOf(raw.url);
    if (!UNTRACED.test(path))
      raw[SERVER_SPAN] = tracing.startServer(request.method, path, raw.headers, request.id);
    done();
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const span = (request.raw as WithSpan)[SERVER_SPAN];
    if (span) tracing.within(span, done);
    else done();
  });
  const end = (raw: WithSpan, method: string, route: string, status: number): void => {
    const span = raw[SERVER_SPAN];
    raw[SERVER_SPAN] = undefined;
    if (span) tracing.endServer(span, method, route, status, requestLogFields(raw));
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    end(request.raw, request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    end(request.raw, request.method, request.routeOptions.url ?? 'unmatched', 499);
    done();
  });
}

/** Nest's start-up contexts: a line per module, controller and route, before the line that matters. */
const BOOT_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The process's logger with Nest's start-up lines at debug, so that the first line at info after start-up
 * is where the process listens (LOG_LEVEL=debug shows them again).
 */
function quietBoot(logger: Logger): LoggerService {
  return {
    log: (message: unknown, ...rest: unknown[]) => {
      const context = rest.at(-1);
      if (typeof context === 'string' && BOOT_CONTEXTS.has(context)) logger.debug(message, ...rest);
      else logger.log(message, ...rest);
    },
    error: (message: unknown, ...rest: unknown[]) => logger.error(message, ...rest),
    warn: (message: unknown, ...rest: unknown[]) => logger.warn(message, ...rest),
    debug: (message: unknown, ...rest: unknown[]) => logger.debug(message, ...rest),
    verbose: (message: unknown, ...rest: unknown[]) => logger.verbose(message, ...rest),
    fatal: (message: unknown, ...rest: unknown[]) => logger.fatal(message, ...rest),
  };
}

/** The status a request's line and metrics carry when its client left before the answer ended (nginx's). */
const CLIENT_GONE_STATUS = 499;

/**
 * A Nest application on Fastify with the platform's promises installed: body limit, request ids echoed
 * on every response, route and metric recorded for every request, contract errors for every failure
 * (Nest routes Fastify's own errors through the global filter too).
 */
export async function createHttpApp(module: unknown, config: AppConfig): Promise<NestFastifyApplication> {
  const bodyLimit = config.http.maxBodyBytes;
  const adapter = new FastifyAdapter({
    bodyLimit,
    logger: false,
    genReqId: (raw: IncomingMessage) => {
      const id = requestIdOf(raw);
      (raw as IncomingMessage & { id?: string }).id = id;
      return id;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as Type, adapter, {
    bufferLogs: true,
    abortOnError: false,
    // The bounded JSON parser installed below is the only body parser (Nest's own would replace it at init).
    bodyParser: false,
  });
  app.useLogger(quietBoot(app.get(Logger)));
  app.useGlobalFilters(new ContractExceptionFilter(bodyLimit));

  const metrics = app.get(Metrics);
  const requestLog = app.get(RequestLog);
  const fastify = app.getHttpAdapter().getInstance();
  const finished = (request: FastifyRequest, reply: FastifyReply, clientGone: boolean): void => {
    const matched = request.routeOptions.url;
    const route = matched ?? 'unmatched';
    if (matched === undefined) requestLogFields(request.raw).path = pathOf(request.raw.url);
    const status = clientGone ? CLIENT_GONE_STATUS : reply.statusCode;
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(status) },
      reply.elapsedTime / 1000,
    );
    const durationMs = Math.round(reply.elapsedTime * 100) / 100;
    requestLog.write(
      {
        request_id: request.id,
        method: request.method,
        route,
        status,
        duration_ms: durationMs,
        ...(clientGone ? { client_gone: true } : {}),
      },
      request.raw,
    );
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Fastify runs onResponse only for a response that finished: a client that left before the end of its
    // answer (a stream, typically) gets its line here.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) finished(request, reply, true);
    });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    finished(request, reply, false);
    done();
  });
  const tracing = app.get(Tracing);
  if (tracing.enabled) traceRequests(fastify, tracing);
  // JSON only: a text/plain body is 415, not a string for validation to puzzle over.
  fastify.removeContentTypeParser('text/plain');
  installBoundedJsonParser(fastify, config.http.maxJsonDepth);
  return app;
}
