import 'reflect-metadata';
import { serveApp } from '@breakwater/http';
import { createGatewayApp } from './gateway.app';

serveApp({
  name: 'gateway',
  create: (config) => createGatewayApp(config),
  port: (config) => config.http.port,
});
