import { createHmac } from 'node:crypto';
import { LookupFunction } from 'node:net';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { AppConfig } from '@breakwater/config';
import { Caller, GatewayError } from '@breakwater/contracts';
import { ATTR, SpanKind, Tracing } from '@breakwater/observability';
import { WEBHOOK_TIMEOUT_MS } from '../queue.constants';
import { ResolvedAddress } from './host-resolver';
import { WebhookTargets } from './webhook-targets';

/** A webhook to deliver: the body is signed as sent, byte for byte. */
export interface WebhookDelivery {
  queueId: string;
  callerId: string;
  url: string;
  body: string;
  /** The trace context the POST continues (the job's run) and sends on as `traceparent`. */
  traceparent?: string;
}

/** Thrown for deliveries no retry can fix (target no longer allowed, caller gone). */
export class PermanentWebhookError extends Error {}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * A `net.connect` lookup that answers only with addresses `resolve` returned (and checked), so the
 * socket connects where the check said. Node asks for every address (`all`) when it races IPv4 and
 * IPv6, and for one otherwise.
 */
function pinnedLookup(resolve: (host: string) => Promise<ResolvedAddress[]>): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (resolved) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = wanted ? resolved.filter((entry) => entry.family === wanted) : resolved;
        if (addresses.length === 0) {
          callback(
            Object.assign(new Error(`${hostname}: no IPv${wanted} address`), { code: 'ENOTFOUND' }),
            '',
          );
        } else if (options.all) {
          callback(null, addresses);
        } else {
          callback(null, addresses[0].address, addresses[0].family);
        }
      },
      (error: Error) => callback(error, ''),
    );
  };
}

/**
 * POSTs one webhook, signed `x-breakwater-signature: sha256=<hex HMAC of the body>` with the caller's
 * secret, over a connection pinned to the addresses WebhookTargets checked (see there). A trusted host
 * (listed exactly) and a checked one have separate pools, so a connection opened without the check is
 * never reused for a host that needs it. Redirects are not followed. Each POST is a client span in the
 * job's trace, whose context the target receives as `traceparent`.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly callers: Map<string, Caller>;
  private readonly checked: Agent;
  private readonly trusted: Agent;

  constructor(
    config: AppConfig,
    private readonly targets: WebhookTargets,
    private readonly tracing: Tracing,
  ) {
    this.callers = new Map(config.callers.list.map((caller) => [caller.id, caller]));
    this.checked = pinnedAgent((host) => this.targets.addressesFor(host, false));
    this.trusted = pinnedAgent((host) => this.targets.addressesFor(host, true));
  }

  async deliver(delivery: WebhookDelivery): Promise<void> {
    const caller = this.callers.get(delivery.callerId);
    if (!caller?.webhookSecret)
      throw new PermanentWebhookError(`caller ${delivery.callerId} has no webhook_secret`);
    let trusted: boolean;
    try {
      ({ trusted } = await this.targets.assertAllowed(delivery.url, caller));
    } catch (error) {
      throw new PermanentWebhookError((error as Error).message);
    }
    const secret = caller.webhookSecret;
    const attributes = {
      [ATTR.httpMethod]: 'POST',
      [ATTR.messagingMessageId]: delivery.queueId,
    };
    await this.tracing.continued(delivery.traceparent, 'POST webhook', SpanKind.CLIENT, attributes, (span) =>
      this.post(delivery, secret, trusted).then((status) => {
        span?.setAttribute(ATTR.httpStatus, status);
        if (status < 200 || status > 299) throw new Error(`webhook answered ${status}`);
      }),
    );
  }

  private async post(delivery: WebhookDelivery, secret: string, trusted: boolean): Promise<number> {
    const traceparent = this.tracing.traceparentOf();
    try {
      const response = await request(delivery.url, {
        dispatcher: trusted ? this.trusted : this.checked,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'breakwater-webhooks',
          'x-breakwater-signature': signature(secret, delivery.body),
          'x-breakwater-queue-id': delivery.queueId,
          ...(traceparent ? { traceparent } : {}),
        },
        body: delivery.body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body.dump();
      return response.statusCode;
    } catch (error) {
      // The connection's own check refused the address the name resolves to now.
      if (refusedTarget(error)) throw new PermanentWebhookError((error as Error).message);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.checked.close(), this.trusted.close()]);
  }
}

function pinnedAgent(resolve: (host: string) => Promise<ResolvedAddress[]>): Agent {
  return new Agent({ connect: { lookup: pinnedLookup(resolve), timeout: WEBHOOK_TIMEOUT_MS } });
}

function refusedTarget(error: unknown): boolean {
  return error instanceof GatewayError || (error instanceof Error && error.cause instanceof GatewayError);
}
