import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@breakwater/config';
import { handleShutdownSignals } from '@breakwater/health';
import { createHttpApp } from '@breakwater/http';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createHttpApp(WorkerModule.forRoot(config), config);
  const { host, workerPort } = config.http;
  await app.listen({ port: workerPort, host });
  new Logger('Worker').log(`listening on http://${host}:${workerPort}`);
  handleShutdownSignals(app, config.http.shutdownDrainMs);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `breakwater worker: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
