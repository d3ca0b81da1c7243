import { lookup } from 'node:dns/promises';
import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { AppConfig } from '@breakwater/config';
import { Caller, GatewayError } from '@breakwater/contracts';

const PARAM = 'x-callback-url';

/**
 * Decides where webhooks may go (SSRF defence). The host must be in WEBHOOK_ALLOWED_HOSTS, exactly or
 * under a `*.domain` entry; and every address it resolves to must be public, unless the host is listed
 * exactly (an operator who names `hooks.internal` means it). Checked when the request arrives and again
 * before every delivery, so a DNS answer that changes in between cannot turn a webhook inward.
 */
@Injectable()
export class WebhookTargets {
  private readonly exact: Set<string>;
  private readonly suffixes: string[];

  constructor(private readonly config: AppConfig) {
    const hosts = config.webhooks.allowedHosts;
    this.exact = new Set(hosts.filter((host) => !host.startsWith('*.')));
    this.suffixes = hosts.filter((host) => host.startsWith('*.')).map((host) => host.slice(1));
  }

  async assertAllowed(url: string, caller: Caller): Promise<void> {
    if (this.config.webhooks.allowedHosts.length === 0) {
      throw GatewayError.invalid(PARAM, `${PARAM}: webhooks are off (WEBHOOK_ALLOWED_HOSTS is empty)`);
    }
    if (!caller.webhookSecret) {
      throw GatewayError.invalid(PARAM, `${PARAM}: caller "${caller.id}" has no webhook_secret to sign with`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw GatewayError.invalid(PARAM, `${PARAM} must be an absolute http(s) URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw GatewayError.invalid(PARAM, `${PARAM} must be an absolute http(s) URL`);
    }
    if (parsed.username || parsed.password)
      throw GatewayError.invalid(PARAM, `${PARAM} must not carry credentials`);
    const host = parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const explicit = this.exact.has(host);
    if (!explicit && !this.suffixes.some((suffix) => host.endsWith(suffix))) {
      throw GatewayError.invalid(PARAM, `${PARAM}: host "${host}" is not in WEBHOOK_ALLOWED_HOSTS`);
    }
    if (explicit) return;
    const addresses = await this.resolve(host);
    const inward = addresses.find((address) => ipaddr.parse(address).range() !== 'unicast');
    if (inward)
      throw GatewayError.invalid(PARAM, `${PARAM}: host "${host}" resolves to a non-public address`);
  }

  private async resolve(host: string): Promise<string[]> {
    if (ipaddr.isValid(host)) return [host];
    try {
      return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      throw GatewayError.invalid(PARAM, `${PARAM}: host "${host}" does not resolve`);
    }
  }
}
