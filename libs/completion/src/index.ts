// The completion step: resolve, cache through, provider, settle budget and usage, written once for the
// gateway's request path and the queue's worker alike.
export * from './completion.module';
export * from './completion.step';
export * from './embedding-encoding';
