import { ConfigError } from '@breakwater/config';
import { Caller, GatewayError } from '@breakwater/contracts';
import { testConfig } from '@breakwater/testing';
import { HostResolver, ResolvedAddress } from './host-resolver';
import { WebhookTargets, isPublicAddress, parseAllowedHost } from './webhook-targets';

/** Answers from a fixed table; an unknown name does not resolve. */
class TableResolver extends HostResolver {
  constructor(private readonly table: Record<string, string[]>) {
    super();
  }

  resolve(host: string): Promise<ResolvedAddress[]> {
    const addresses = this.table[host];
    if (!addresses) return Promise.reject(new Error(`ENOTFOUND ${host}`));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }
}

const CALLER: Caller = {
  id: 'assessor',
  keySha256: '0'.repeat(64),
  role: 'caller',
  limits: {},
  endUserLimits: {},
  cache: { enabled: true, namespace: 'assessor' },
  webhookSecret: 'assessor-webhook-secret-0001',
};

function targets(allowedHosts: string, table: Record<string, string[]> = {}): WebhookTargets {
  return new WebhookTargets(testConfig({ WEBHOOK_ALLOWED_HOSTS: allowedHosts }), new TableResolver(table));
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GatewayError);
  const refused = error as GatewayError;
  expect(refused.code).toBe('INVALID_REQUEST');
  expect(refused.param).toBe('x-callback-url');
  return refused;
}

describe('parseAllowedHost', () => {
  it('reads host, *.domain, host:port and [v6]:port entries', () => {
    expect(parseAllowedHost('hooks.example.com')).toEqual({
      host: 'hooks.example.com',
      wildcard: false,
      port: undefined,
    });
    expect(parseAllowedHost('*.example.com:8443')).toEqual({
      host: '.example.com',
      wildcard: true,
      port: 8443,
    });
    expect(parseAllowedHost('127.0.0.1:9000')).toEqual({ host: '127.0.0.1', wildcard: false, port: 9000 });
    expect(parseAllowedHost('[0:0:0:0:0:0:0:1]:8080')).toEqual({ host: '::1', wildcard: false, port: 8080 });
    expect(parseAllowedHost('fd00::1')).toEqual({ host: 'fd00::1', wildcard: false, port: undefined });
  });

  it('refuses a port that is not 1-65535 with a ConfigError naming WEBHOOK_ALLOWED_HOSTS', () => {
    for (const entry of ['hooks.example.com:', 'hooks.example.com:http', 'hooks.example.com:70000']) {
      expect(() => parseAllowedHost(entry)).toThrow(ConfigError);
      expect(() => parseAllowedHost(entry)).toThrow(/WEBHOOK_ALLOWED_HOSTS.*host:port/);
    }
  });
});

describe('isPublicAddress', () => {
  it('admits public unicast IPv4 and IPv6', () => {
    expect(isPublicAddress('93.184.215.14')).toBe(true);
    expect(isPublicAddress('2606:2800:21f:cb07:6820:80da:af6b:8b2c')).toBe(true);
  });

  it('refuses private, loopback, link-local, unique-local, multicast, reserved and IPv4-mapped addresses', () => {
    const inward = [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '240.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:93.184.215.14',
      '64:ff9b::7f00:1',
      '2002:7f00:1::1',
      '2001:db8::1',
      'not an address',
    ];
    expect(inward.filter(isPublicAddress)).toEqual([]);
  });
});

describe('WebhookTargets', () => {
  it('refuses a host when any one of its addresses is not public', async () => {
    const allowed = targets('*.example.com', { 'hooks.example.com': ['93.184.215.14', '127.0.0.1'] });
    const error = await refusal(allowed.assertAllowed('https://hooks.example.com/hook', CALLER));
    expect(error.message).toContain('non-public');
    await refusal(allowed.addressesFor('hooks.example.com', false));
  });

  it('trusts every address of a host listed exactly, and only that host', async () => {
    const allowed = targets('hooks.internal,*.internal', {
      'hooks.internal': ['10.0.0.5'],
      'other.internal': ['10.0.0.6'],
    });
    await expect(allowed.assertAllowed('http://hooks.internal/hook', CALLER)).resolves.toMatchObject({
      trusted: true,
    });
    await refusal(allowed.assertAllowed('http://other.internal/hook', CALLER));
  });

  it('admits ports 80 and 443 only, unless the entry names its port', async () => {
    const allowed = targets('*.example.com,hooks.internal:9000', {
      'hooks.example.com': ['93.184.215.14'],
      'hooks.internal': ['127.0.0.1'],
    });
    await expect(allowed.assertAllowed('http://hooks.example.com/hook', CALLER)).resolves.toBeDefined();
    await expect(allowed.assertAllowed('https://hooks.example.com:443/', CALLER)).resolves.toBeDefined();
    await expect(allowed.assertAllowed('http://hooks.example.com:443/', CALLER)).resolves.toBeDefined();
    const error = await refusal(allowed.assertAllowed('http://hooks.example.com:6379/', CALLER));
    expect(error.message).toContain('port 6379');
    await expect(allowed.assertAllowed('http://hooks.internal:9000/hook', CALLER)).resolves.toMatchObject({
      trusted: true,
    });
    await refusal(allowed.assertAllowed('http://hooks.internal/hook', CALLER));
    await refusal(allowed.assertAllowed('http://hooks.internal:9001/hook', CALLER));
  });

  it('checks an address written in the URL itself, and a name that does not resolve', async () => {
    const allowed = targets('*.0.0.1,*.example.com');
    await refusal(allowed.assertAllowed('http://10.0.0.1/hook', CALLER));
    await refusal(allowed.assertAllowed('http://0x7f.0.0.1/hook', CALLER));
    const error = await refusal(allowed.assertAllowed('http://nowhere.example.com/hook', CALLER));
    expect(error.message).toContain('does not resolve');
  });
});
