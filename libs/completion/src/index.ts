// The completion step: resolve, cache through, provider, settle budget and usage, written once for the
// gateway's request path and the queue's worker alike; and the shapes an answer is given in (chat, the
// Responses API, legacy completions), which a queued job's result takes too.
export * from './completion.module';
export * from './completion.step';
export * from './embedding-encoding';
export * from './answer-shape';
export * from './response-shape';
export * from './text-completion-shape';
