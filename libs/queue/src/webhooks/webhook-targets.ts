import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { AppConfig, ConfigError } from '@breakwater/config';
import { Caller, GatewayError } from '@breakwater/contracts';
import { HostResolver, ResolvedAddress } from './host-resolver';

const PARAM = 'x-callback-url';
/** The ports an entry without one admits. */
const WEB_PORTS: readonly number[] = [80, 443];

/** One WEBHOOK_ALLOWED_HOSTS entry: `host`, `*.domain`, either with `:port`; IPv6 as `[::1]:8080`. */
export interface AllowedHost {
  /** The host, or for a wildcard the suffix it admits (`.domain`). */
  host: string;
  wildcard: boolean;
  /** The one port the entry admits; undefined admits 80 and 443. */
  port?: number;
}

/** Where a webhook may go, and whether its addresses are trusted (the host is listed exactly). */
export interface WebhookTarget {
  url: URL;
  trusted: boolean;
}

export function parseAllowedHost(entry: string): AllowedHost {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  const hostPort = /^([^:]+):([^:]*)$/.exec(entry);
  const [host, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : hostPort
      ? [hostPort[1], hostPort[2]]
      : [entry, undefined];
  const parsedPort = port === undefined ? undefined : Number(port);
  if (parsedPort !== undefined && !(Number.isInteger(parsedPort) && parsedPort >= 1 && parsedPort <= 65535)) {
    throw new ConfigError(
      `WEBHOOK_ALLOWED_HOSTS: "${entry}" has no valid port: write host, *.domain or host:port with a port from 1 to 65535`,
    );
  }
  const wildcard = host.startsWith('*.');
  const name = host.includes(':') && ipaddr.IPv6.isValid(host) ? ipaddr.parse(host).toString() : host;
  return { host: wildcard ? name.slice(1) : name, wildcard, port: parsedPort };
}

/** An address a webhook may reach without the operator naming its host: public unicast only. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // `range()` tells private, loopback, link-local, unique-local, multicast, reserved, NAT64, 6to4 and
  // IPv4-mapped (`::ffff:127.0.0.1`, which the kernel connects to as IPv4) apart from plain unicast;
  // only plain unicast is the public internet.
  return ipaddr.parse(address).range() === 'unicast';
}

/**
 * Decides where webhooks may go (SSRF defence). The host must be in WEBHOOK_ALLOWED_HOSTS, exactly or
 * under a `*.domain` entry, on the entry's port (80 or 443 for an entry without one); and every address
 * it resolves to must be public, unless the host is listed exactly (an operator who names
 * `hooks.internal` means it). Checked when the request arrives (a fast 400), before every delivery, and
 * by the delivery's own connection (see WebhookSender), which connects only to an address checked here:
 * a DNS answer that changes between the check and the connection cannot turn a webhook inward.
 */
@Injectable()
export class WebhookTargets {
  private readonly allowed: AllowedHost[];

  constructor(
    config: AppConfig,
    private readonly resolver: HostResolver,
  ) {
    this.allowed = config.webhooks.allowedHosts.map(parseAllowedHost);
  }

  async assertAllowed(url: string, caller: Caller): Promise<WebhookTarget> {
    if (this.allowed.length === 0) {
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
    const host = hostOf(parsed);
    const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
    const byHost = this.allowed.filter((entry) =>
      entry.wildcard ? host.endsWith(entry.host) : host === entry.host,
    );
    if (byHost.length === 0) {
      throw GatewayError.invalid(PARAM, `${PARAM}: host "${host}" is not in WEBHOOK_ALLOWED_HOSTS`);
    }
    const matches = byHost.filter((entry) =>
      entry.port === undefined ? WEB_PORTS.includes(port) : entry.port === port,
    );
    if (matches.length === 0) {
      throw GatewayError.invalid(
        PARAM,
        `${PARAM}: port ${port} of "${host}" is not allowed (80 and 443 only, unless WEBHOOK_ALLOWED_HOSTS names host:port)`,
      );
    }
    const trusted = matches.some((entry) => !entry.wildcard);
    await this.addressesFor(host, trusted);
    return { url: parsed, trusted };
  }

  /**
   * What `host` resolves to now, every address checked unless the host is trusted. A connection must
   * use one of these addresses and nothing else.
   */
  async addressesFor(host: string, trusted: boolean): Promise<ResolvedAddress[]> {
    const addresses = await this.resolve(host);
    if (!trusted && !addresses.every((entry) => isPublicAddress(entry.address))) {
      throw GatewayError.invalid(PARAM, `${PARAM}: host "${host}" resolves to a non-public address`);
    }
    return addresses;
  }

  private async resolve(host: string): Promise<ResolvedAddress[]> {
    if (ipaddr.isValid(host)) return [{ address: host, family: host.includes(':') ? 6 : 4 }];
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolver.resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0)
      throw GatewayError.invalid(PARAM, `${PARAM}: host "${host}" does not resolve`);
    return addresses;
  }
}

/** The URL's host as the allow-list spells it: lower case, IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
}
