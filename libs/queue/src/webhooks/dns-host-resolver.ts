import { lookup } from 'node:dns/promises';
import { Injectable } from '@nestjs/common';
import { HostResolver, ResolvedAddress } from './host-resolver';

/** The system resolver (`/etc/hosts`, then DNS), every address of the name, in the resolver's order. */
@Injectable()
export class DnsHostResolver extends HostResolver {
  async resolve(host: string): Promise<ResolvedAddress[]> {
    const entries = await lookup(host, { all: true, verbatim: true });
    return entries.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
  }
}
