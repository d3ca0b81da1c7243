import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@breakwater/config';
import { handleShutdownSignals } from '@breakwater/health';
import { createGatewayApp } from './gateway.app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createGatewayApp(config);
  const { host, port } = config.http;
  await app.listen({ port: port, host });
  new Logger('Gateway').log(`listening on http://${host}:${port}`);
  handleShutdownSignals(app, config.http.shutdownDrainMs);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `breakwater gateway: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
