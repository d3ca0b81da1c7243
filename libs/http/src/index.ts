// The HTTP platform both apps stand on: Fastify with body limits, request ids, the contract's error JSON
// for every failure (Nest's and Fastify's own), and the request-duration metric.
export * from './contract-exception.filter';
export * from './create-http-app';
export * from './error-response';
export * from './serve-app';
