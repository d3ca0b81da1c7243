// Pure TypeScript shared by every lib and app: the OpenAI wire types, error codes and GatewayError,
// provider ids, the Caller, and the HTTP surface (modes, queued bodies, header names). No Nest, no I/O.
export * from './openai.types';
export * from './embeddings.types';
export * from './error-code';
export * from './gateway-error';
export * from './provider-id';
export * from './caller';
export * from './http.types';
export * from './http-headers';
