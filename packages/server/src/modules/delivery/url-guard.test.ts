import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { connect } from 'node:net';
import type { LookupAddress } from 'node:dns';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import {
  assertResolvesPublic, BlockedAddressError, classifyAddress, createGuardedLookup, validateWebhookUrl,
} from './url-guard.js';
import type { ResolveAllFn } from './url-guard.js';

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

function resolverOf(...addresses: string[]): ResolveAllFn {
  return () => Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
}

function urlError(url: string, allowPrivate = false): string {
  try {
    validateWebhookUrl(url, { allowPrivate });
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation_failed');
    expect((error as AppError).errors?.[0]?.field).toBe('url');
    return (error as AppError).errors?.[0]?.message ?? '';
  }
  return '';
}

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    [PUBLIC_V6, 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.10', 'documentation'],
    ['203.0.113.10', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:0:10.0.0.1', 'private'], // IPv4-translated
    ['::127.0.0.1', 'loopback'], // deprecated IPv4-compatible
    ['::8.8.8.8', 'reserved'],
    ['64:ff9b::10.0.0.1', 'private'], // NAT64 with an embedded private address
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::1', 'loopback'], // 6to4 embedding 127.0.0.1
    ['2002:c0a8:101::1', 'private'], // 6to4 embedding 192.168.1.1
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1 (bit-inverted)
    ['2001:0:7f00:1::1', 'loopback'], // Teredo, server 127.0.0.1
    ['not-an-ip', 'invalid'],
    ['127.1', 'invalid'], // only canonical forms here: URL parsing and getaddrinfo normalise the rest
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('an IPv4-mapped IPv6 address is judged by the IPv4 address it maps to, in either spelling', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(classifyAddress(`::ffff:${v4}`)).toBe(classifyAddress(v4));
        expect(classifyAddress(hex)).toBe(classifyAddress(v4));
      }),
    );
  });

  it('every address in 127/8, 10/8 and 169.254/16 is refused', () => {
    fc.assert(
      fc.property(fc.constantFrom('127', '10', '169.254'), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 3, maxLength: 3 }), (prefix, rest) => {
        const address = [...prefix.split('.'), ...rest].slice(0, 4).join('.');
        expect(classifyAddress(address)).not.toBe('public');
      }),
    );
  });
});

describe('validateWebhookUrl (save time)', () => {
  it('accepts public http(s) URLs and returns them normalised', () => {
    expect(validateWebhookUrl('https://Hooks.Example.com/leads?x=1', { allowPrivate: false })).toBe('https://hooks.example.com/leads?x=1');
    expect(validateWebhookUrl('http://8.8.8.8:8080/in', { allowPrivate: false })).toBe('http://8.8.8.8:8080/in');
    expect(validateWebhookUrl(`https://[${PUBLIC_V6}]/in`, { allowPrivate: false })).toBe(`https://[${PUBLIC_V6}]/in`);
  });

  it.each([
    ['http://127.0.0.1/hook', 'loopback'],
    ['http://[::1]/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['http://[::ffff:7f00:1]/hook', 'loopback'],
    ['http://0x7f000001/hook', 'loopback'],
    ['http://0x7f.1/hook', 'loopback'],
    ['http://127.1/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'],
    ['http://0177.0.0.1/hook', 'loopback'],
    ['http://017700000001/hook', 'loopback'],
    ['http://127.0.0.1./hook', 'loopback'],
    ['http://１２７.０.０.１/hook', 'loopback'], // full-width digits, mapped by IDNA
    ['http://0/hook', 'unspecified'],
    ['http://0.0.0.0:3000/hook', 'unspecified'],
    ['http://[::]/hook', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'metadata'],
    ['http://0xa9fea9fe/', 'metadata'],
    ['http://10.0.0.5/hook', 'private'],
    ['http://192.168.0.1/hook', 'private'],
    ['http://[fc00::1]/hook', 'private'],
    ['http://100.64.0.1/hook', 'carrier-grade NAT'],
    ['http://[fe80::1]/hook', 'link-local'],
    ['http://224.0.0.1/hook', 'multicast'],
    ['http://255.255.255.255/hook', 'broadcast'],
    ['http://192.0.2.1/hook', 'documentation'],
    ['http://198.18.0.1/hook', 'benchmarking'],
    ['http://[64:ff9b::a00:1]/hook', 'private'],
    ['http://[2002:7f00:1::1]/hook', 'loopback'],
    ['http://localhost:3000/hook', 'fully qualified'],
    ['http://LOCALHOST./hook', 'fully qualified'],
    ['http://api.localhost/hook', 'internal host name'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'internal host name'],
    ['http://printer.local/hook', 'internal host name'],
    ['http://router.home.arpa/hook', 'internal host name'],
    ['http://metadata/computeMetadata/v1/', 'fully qualified'],
    ['http://redis:6379/', 'fully qualified'],
  ])('refuses %s (%s)', (url, message) => {
    expect(urlError(url)).toContain(message);
  });

  it('relies on the WHATWG parser, which canonicalises legacy IPv4 spellings before we classify them', () => {
    for (const host of ['0x7f000001', '127.1', '2130706433', '0177.0.0.1']) expect(new URL(`http://${host}/`).hostname).toBe('127.0.0.1');
    expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
  });

  it.each([
    ['ftp://files.example.com/', 'http:// or https://'],
    ['file:///etc/passwd', 'http:// or https://'],
    ['javascript:alert(1)', 'http:// or https://'],
    ['gopher://example.com:70/', 'http:// or https://'],
    ['https://user:pass@hooks.example.com/', 'user name or password'],
    ['https://token@hooks.example.com/', 'user name or password'],
    ['/relative/path', 'absolute'],
    ['http://[fe80::1%25eth0]/', 'absolute'],
    ['', 'required'],
    [`https://hooks.example.com/${'a'.repeat(2_100)}`, 'at most 2048'],
  ])('refuses malformed %s', (url, message) => {
    expect(urlError(url)).toContain(message);
  });

  it('with private targets allowed (self-hosting, tests) accepts loopback, but still only http(s) without credentials', () => {
    expect(validateWebhookUrl('http://127.0.0.1:3000/hook', { allowPrivate: true })).toBe('http://127.0.0.1:3000/hook');
    expect(validateWebhookUrl('http://localhost:3000/hook', { allowPrivate: true })).toBe('http://localhost:3000/hook');
    expect(urlError('ftp://127.0.0.1/', true)).toContain('http://');
    expect(urlError('http://a:b@127.0.0.1/', true)).toContain('password');
  });
});

describe('assertResolvesPublic (save time DNS)', () => {
  it('accepts a name whose every address is public', async () => {
    await expect(assertResolvesPublic('hooks.example.com', { resolve: resolverOf(PUBLIC_V4, PUBLIC_V6) })).resolves.toBeUndefined();
  });

  it('refuses a name if ANY address is private (e.g. a public and a loopback A record)', async () => {
    await expect(assertResolvesPublic('mixed.example.com', { resolve: resolverOf(PUBLIC_V4, '127.0.0.1') })).rejects.toThrow(/loopback/);
    await expect(assertResolvesPublic('v6.example.com', { resolve: resolverOf('::ffff:10.0.0.1') })).rejects.toThrow(/private/);
  });

  it('refuses a name that does not resolve', async () => {
    const notFound: ResolveAllFn = () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    await expect(assertResolvesPublic('nx.example.com', { resolve: notFound })).rejects.toThrow(/does not resolve/);
  });

  it('checks IP literals (bracketed IPv6 too) without DNS', async () => {
    const neverCalled: ResolveAllFn = () => Promise.reject(new Error('DNS must not be used'));
    await expect(assertResolvesPublic('[::1]', { resolve: neverCalled })).rejects.toThrow(/loopback/);
    await expect(assertResolvesPublic('8.8.8.8', { resolve: neverCalled })).resolves.toBeUndefined();
  });

  it('with the real resolver refuses localhost', async () => {
    await expect(assertResolvesPublic('localhost')).rejects.toThrow(AppError);
  });
});

describe('createGuardedLookup (connect time)', () => {
  let server: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.end('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function connectVia(resolve: ResolveAllFn, allowPrivate: boolean): Promise<string> {
    return new Promise((done, fail) => {
      const socket = connect({ host: 'receiver.example.com', port, lookup: createGuardedLookup({ allowPrivate, resolve }) });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => done(data));
      socket.on('error', fail);
    });
  }

  it('refuses to connect when the name resolves to loopback, before any byte reaches the server', async () => {
    const before = connections;
    await expect(connectVia(resolverOf('127.0.0.1'), false)).rejects.toBeInstanceOf(BlockedAddressError);
    expect(connections).toBe(before);
  });

  it('DNS rebinding: a name that was public at save time and answers loopback at connect time is refused', async () => {
    let calls = 0;
    const rebinding: ResolveAllFn = () => Promise.resolve([{ address: calls++ === 0 ? PUBLIC_V4 : '127.0.0.1', family: 4 }]);
    await assertResolvesPublic('rebind.example.com', { resolve: rebinding });
    await expect(connectVia(rebinding, false)).rejects.toThrow(/loopback/);
  });

  it('connects to exactly the address it checked when private targets are allowed', async () => {
    await expect(connectVia(resolverOf('127.0.0.1'), true)).resolves.toBe('hello');
  });

  it('answers both callback shapes Node uses, returning only checked addresses', async () => {
    const lookup = createGuardedLookup({ allowPrivate: false, resolve: resolverOf(PUBLIC_V4, PUBLIC_V6) });
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup('a.example.com', { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses as LookupAddress[]))),
    );
    expect(all).toEqual([{ address: PUBLIC_V4, family: 4 }, { address: PUBLIC_V6, family: 6 }]);
    const single = await new Promise<[string, number | undefined]>((resolve, reject) =>
      lookup('a.example.com', {}, (error, address, family) => (error ? reject(error) : resolve([address as string, family]))),
    );
    expect(single).toEqual([PUBLIC_V4, 4]);
  });

  it('refuses when one of several addresses is blocked', async () => {
    const lookup = createGuardedLookup({ allowPrivate: false, resolve: resolverOf(PUBLIC_V4, '169.254.169.254') });
    const error = await new Promise<Error | null>((resolve) => lookup('a.example.com', { all: true }, (err) => resolve(err)));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect((error as BlockedAddressError).addressClass).toBe('metadata');
  });
});
