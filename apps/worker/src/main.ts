import 'reflect-metadata';
import { createHttpApp, serveApp } from '@breakwater/http';
import { WorkerModule } from './worker.module';

serveApp({
  name: 'worker',
  create: (config) => createHttpApp(WorkerModule.forRoot(config), config),
  port: (config) => config.http.workerPort,
});
