import { ChatCompletion, EmbeddingList, EmbeddingRequest } from '@breakwater/contracts';
import { LlmProviderAdapter, ProviderRequest } from '../adapters/llm-provider.adapter';
import { ExchangeRecorder } from './exchange-recorder';

/**
 * An adapter whose successful answers are also written to RECORD_DIR. Wrapping the adapter (rather than
 * the call loop) records each answer a provider really gave, retries and fallbacks included, and only the
 * request the provider saw. Failures are not recorded: a replay of an outage is what the mock's
 * MOCK_FAILURE_RATE is for.
 */
export class RecordingAdapter implements LlmProviderAdapter {
  readonly id: LlmProviderAdapter['id'];
  readonly configured: boolean;
  /** Forwarded as is: RECORD_DIR's exchanges are chat completions, which the replay provider answers from. */
  readonly embed?: (request: EmbeddingRequest, signal: AbortSignal) => Promise<EmbeddingList>;

  constructor(
    private readonly inner: LlmProviderAdapter,
    private readonly recorder: ExchangeRecorder,
  ) {
    this.id = inner.id;
    this.configured = inner.configured;
    // Present only when the inner adapter has embeddings, so the caller's "does not support embeddings"
    // still sees a provider without them.
    this.embed = inner.embed?.bind(inner);
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    const started = performance.now();
    const answer = await this.inner.complete(request, signal);
    await this.recorder.record(this.id, request, answer, performance.now() - started);
    return answer;
  }
}
