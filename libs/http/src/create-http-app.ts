import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@breakwater/config';
import { Metrics, RequestLog } from '@breakwater/observability';
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
    const route = request.routeOptions.url ?? 'unmatched';
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
  // JSON only: a text/plain body is 415, not a string for validation to puzzle over.
  fastify.removeContentTypeParser('text/plain');
  installBoundedJsonParser(fastify, config.http.maxJsonDepth);
  return app;
}
