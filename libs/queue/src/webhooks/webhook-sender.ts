import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { Caller } from '@breakwater/contracts';
import { WEBHOOK_TIMEOUT_MS } from '../queue.constants';
import { WebhookTargets } from './webhook-targets';

/** A webhook to deliver: the body is signed as sent, byte for byte. */
export interface WebhookDelivery {
  queueId: string;
  callerId: string;
  url: string;
  body: string;
}

/** Thrown for deliveries no retry can fix (target no longer allowed, caller gone). */
export class PermanentWebhookError extends Error {}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs one webhook, signed `x-breakwater-signature: sha256=<hex HMAC of the body>` with the caller's secret. */
@Injectable()
export class WebhookSender {
  private readonly callers: Map<string, Caller>;

  constructor(
    config: AppConfig,
    private readonly targets: WebhookTargets,
  ) {
    this.callers = new Map(config.callers.list.map((caller) => [caller.id, caller]));
  }

  async deliver(delivery: WebhookDelivery): Promise<void> {
    const caller = this.callers.get(delivery.callerId);
    if (!caller?.webhookSecret)
      throw new PermanentWebhookError(`caller ${delivery.callerId} has no webhook_secret`);
    try {
      await this.targets.assertAllowed(delivery.url, caller);
    } catch (error) {
      throw new PermanentWebhookError((error as Error).message);
    }
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'breakwater-webhooks',
        'x-breakwater-signature': signature(caller.webhookSecret, delivery.body),
        'x-breakwater-queue-id': delivery.queueId,
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  }
}
