import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, ConfigError, loadConfig } from '@breakwater/config';
import { handleShutdownSignals } from '@breakwater/health';
import { startTracing } from '@breakwater/observability';

export interface ServedApp {
  /** The process's name in its start-up line and its refusal to start (`gateway`, `worker`). */
  name: string;
  create: (config: AppConfig) => Promise<NestFastifyApplication>;
  port: (config: AppConfig) => number;
}

/**
 * A process's main: configuration, tracing when configured (its flush is the app's last shutdown hook), the
 * app, the listener on HOST, the line saying where it listens, and the
 * signals that stop it (SIGTERM drains first). A configuration mistake ends the process with its message and
 * status 1, without a stack.
 */
export function serveApp({ name, create, port }: ServedApp): void {
  const start = async (): Promise<void> => {
    const config = loadConfig();
    // Before the app, whose Tracing takes its tracer from the global provider this registers.
    await startTracing(config, `breakwater-${name}`);
    const app = await create(config);
    const { host } = config.http;
    await app.listen({ port: port(config), host });
    new Logger(name[0].toUpperCase() + name.slice(1)).log(`listening on http://${host}:${port(config)}`);
    handleShutdownSignals(app, config.http.shutdownDrainMs);
  };
  start().catch((error: unknown) => {
    process.stderr.write(
      `breakwater ${name}: ${error instanceof ConfigError ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
