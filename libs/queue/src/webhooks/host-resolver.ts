/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Name resolution for webhook targets, as a token so that the address checked and the address
 * connected to come from one answer (and a test can play a rebinding DNS server). Throws when the name
 * does not resolve.
 */
export abstract class HostResolver {
  abstract resolve(host: string): Promise<ResolvedAddress[]>;
}
