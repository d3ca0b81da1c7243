import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { DestinationStream } from 'pino';
import { AppConfig } from '@breakwater/config';
import { createHttpApp } from '@breakwater/http';
import { GatewayModule } from './gateway.module';
import { openApiDocumentOf } from './http/openapi';
import { RequestValidationPipe } from './http/validation.pipe';

/** The gateway application, initialised but not listening: main.ts and the e2e tests both start it. */
export async function createGatewayApp(
  config: AppConfig,
  logDestination?: DestinationStream,
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(GatewayModule.forRoot(config, logDestination), config);
  app.useGlobalPipes(new RequestValidationPipe());
  SwaggerModule.setup('docs', app, openApiDocumentOf(app));
  if (config.callers.devCaller) {
    const reach =
      config.http.host === '127.0.0.1'
        ? 'listening on 127.0.0.1 only'
        : `HOST=${config.http.host} exposes it beyond this machine`;
    new Logger('Callers').warn(
      `No CALLERS_FILE: the development admin caller "dev" is active (its key is in the README), ${reach}; set CALLERS_FILE before exposing the gateway`,
    );
  }
  return app;
}
