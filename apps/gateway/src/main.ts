import 'reflect-metadata';
import { ConfigError, loadConfig } from '@breakwater/config';
import { createGatewayApp } from './gateway.app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createGatewayApp(config);
  await app.listen({ port: config.http.port, host: '0.0.0.0' });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `breakwater gateway: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
