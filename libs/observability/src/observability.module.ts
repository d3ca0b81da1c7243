import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DestinationStream } from 'pino';
import { AppConfig } from '@breakwater/config';
import { pinoHttpOptions } from './logger-options';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

/** Logs and metrics for one process; `destination` (stdout by default) lets tests read the log lines. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(config: AppConfig, destination?: DestinationStream): DynamicModule {
    const options = pinoHttpOptions(config.log.level);
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot({ pinoHttp: destination ? [options, destination] : options })],
      providers: [Metrics],
      controllers: [MetricsController],
      exports: [Metrics],
    };
  }
}
