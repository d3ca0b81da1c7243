import { Server } from 'node:http';
import { INestApplication, Logger } from '@nestjs/common';
import { ShutdownState } from './shutdown-state';

/** Signals Node would die of by default; nothing here reloads on them, so they only get a log line. */
const IGNORED_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGUSR2'];
const IDLE_SWEEP_MS = 100;

/**
 * The termination sequence of a listening app, as Kubernetes expects it. SIGTERM: readiness answers
 * 503 at once, the server keeps serving for `drainMs` (endpoints take seconds to drop a pod), then
 * app.close() stops the listener, lets in-flight requests finish and runs the shutdown hooks (workers
 * drain within their own grace). SIGINT (Ctrl-C, nobody routing here) skips the drain, and cuts short
 * one already running. Only one close ever runs; further signals are logged. The process exits 0 once
 * closed, 1 if closing failed.
 */
export function handleShutdownSignals(app: INestApplication<Server>, drainMs: number): void {
  const logger = new Logger('Shutdown');
  const state = app.get(ShutdownState, { strict: false });
  let endDrain: (() => void) | undefined;

  const stop = (signal: NodeJS.Signals): void => {
    if (state.shuttingDown) {
      if (signal === 'SIGINT' && endDrain) {
        logger.log('SIGINT during the drain: closing now');
        endDrain();
      } else logger.log(`${signal} ignored: already shutting down`);
      return;
    }
    state.begin();
    const waitMs = signal === 'SIGTERM' ? drainMs : 0;
    logger.log(`${signal}: shutting down; readiness answers 503, closing in ${waitMs} ms`);
    const drained = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      endDrain = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    drained
      .then(() => {
        endDrain = undefined;
        // Node drops idle keep-alive connections once, as the listener stops; one whose request ends
        // later would hold close() open until the client's keep-alive timeout (over a minute).
        const server = app.getHttpServer();
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        return app.close().finally(() => clearInterval(sweep));
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`closing failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  };

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (const signal of IGNORED_SIGNALS)
    process.on(signal, () => logger.warn(`${signal} ignored: only SIGTERM and SIGINT stop this process`));
}
