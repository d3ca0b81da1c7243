import 'reflect-metadata';
import { ConfigError, loadConfig } from '@breakwater/config';
import { createHttpApp } from '@breakwater/http';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createHttpApp(WorkerModule.forRoot(config), config);
  await app.listen({ port: config.http.workerPort, host: '0.0.0.0' });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `breakwater worker: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
