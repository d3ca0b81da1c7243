import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
import { AppConfig } from '@breakwater/config';
import { loggerOptions } from './logger-options';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { RequestLog } from './request-log';
import { Tracing } from './tracing/tracing';

/**
 * Logs, metrics and spans for one process; `destination` (stdout by default) lets tests read the log lines.
 * nestjs-pino carries the application's logs on the process's pino logger; its per-request middleware
 * is off (no route), because RequestLog writes the one request line from the HTTP layer for less.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(config: AppConfig, destination?: DestinationStream): DynamicModule {
    const logger = destination
      ? pino(loggerOptions(config.log.level), destination)
      : pino(loggerOptions(config.log.level));
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
      providers: [
        Metrics,
        { provide: RequestLog, useValue: new RequestLog(logger) },
        { provide: Tracing, useValue: new Tracing(config) },
      ],
      controllers: [MetricsController],
      exports: [Metrics, RequestLog, Tracing],
    };
  }
}
