import { OnApplicationShutdown } from '@nestjs/common';
import { ProviderSettings } from '@breakwater/config';
import { ChatCompletion, RemoteProviderId } from '@breakwater/contracts';
import { LlmProviderAdapter, ProviderRequest } from '../llm-provider.adapter';
import { notConfigured } from './sdk-error';

/**
 * A provider reached through one client (its SDK's, or a ProviderTransport), built at start-up from the
 * provider's settings, and only when it has a key. Without one the adapter is unconfigured and every call
 * fails as `auth` before any request leaves, so a missing key never reaches the provider as an anonymous
 * call. A client that holds connections of its own is closed on application shutdown.
 */
export abstract class RemoteProviderAdapter<Client> implements LlmProviderAdapter, OnApplicationShutdown {
  readonly configured: boolean;
  /** For masking the key should a provider ever echo it in an error message. */
  protected readonly apiKey?: string;
  private readonly client?: Client;

  protected constructor(
    readonly id: RemoteProviderId,
    settings: ProviderSettings,
    connect: (apiKey: string, baseUrl: string | undefined) => Client,
  ) {
    this.apiKey = settings.apiKey;
    this.configured = Boolean(settings.apiKey);
    this.client = settings.apiKey ? connect(settings.apiKey, settings.baseUrl) : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client) await this.disconnect?.(this.client);
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    return this.call(this.connected(), request, signal);
  }

  /** The client, or the `auth` failure of a provider without a key (thrown before any request leaves). */
  protected connected(): Client {
    if (!this.client) throw notConfigured(this.id);
    return this.client;
  }

  /** Maps the request, calls the provider, sorts a failure into a ProviderError, maps the answer. */
  protected abstract call(
    client: Client,
    request: ProviderRequest,
    signal: AbortSignal,
  ): Promise<ChatCompletion>;

  /** Closes what the client holds open; absent for a client that holds nothing (an SDK on global fetch). */
  protected disconnect?(client: Client): Promise<void>;
}
