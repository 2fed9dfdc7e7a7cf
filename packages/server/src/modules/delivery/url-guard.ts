import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { LookupFunction } from 'node:net';
import { AppError } from '../../lib/errors.js';

/**
 * SSRF protection for webhook targets (contract section 4). Two gates:
 * - save time: `validateWebhookUrl` (syntax, IP literals in every spelling, internal-looking names) and
 *   `assertResolvesPublic` (every address the name resolves to must be public);
 * - connect time: `createGuardedLookup`, the `lookup` the HTTP client's sockets use, which checks every
 *   resolved address and hands the socket only checked addresses. DNS answers can change between save and
 *   send (or between a check and a connect: DNS rebinding), so the connect-time check is the one that
 *   counts; the save-time check gives the customer an early, clear error.
 */

export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'unspecified'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'metadata'
  | 'invalid';

export interface UrlGuardOptions {
  /** FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: self-hosted and test setups may target private addresses. */
  allowPrivate: boolean;
}

/** Resolves a name to every address (the shape of `dns.promises.lookup(name, { all: true })`). */
export type ResolveAllFn = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

export const WEBHOOK_URL_MAX_CHARS = 2_048;
export const BLOCKED_ADDRESS_ERROR_CODE = 'ERR_FC_BLOCKED_ADDRESS';

/** Thrown (as a socket error) when a webhook host resolves to an address we refuse to connect to. */
export class BlockedAddressError extends Error {
  readonly code = BLOCKED_ADDRESS_ERROR_CODE;
  readonly address: string;
  readonly addressClass: AddressClass;

  constructor(hostname: string, address: string, addressClass: AddressClass) {
    super(`${hostname} resolves to ${address}, a ${describeClass(addressClass)} address; webhooks may only target public addresses`);
    this.name = 'BlockedAddressError';
    this.address = address;
    this.addressClass = addressClass;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Address classification

type Rule = readonly [network: bigint, prefix: number, result: AddressClass | Embedded];
type Embedded = 'v4-mapped' | 'v4-compatible' | 'nat64' | '6to4' | 'teredo';

function parseIpv4(text: string): number | null {
  if (!isIPv4(text)) return null;
  const parts = text.split('.').map(Number);
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

function parseIpv6(text: string): bigint | null {
  // A zone id (`fe80::1%eth0`) only matters for link-local addresses, which are refused anyway.
  const zoneAt = text.indexOf('%');
  let bare = zoneAt === -1 ? text : text.slice(0, zoneAt);
  if (!isIPv6(bare)) return null;
  // An embedded dotted IPv4 tail (`::ffff:127.0.0.1`) becomes the last two 16-bit words.
  const lastColon = bare.lastIndexOf(':');
  const tail = bare.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    bare = `${bare.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = bare.split('::');
  const toWords = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((word) => parseInt(word, 16));
  const left = toWords(halves[0]);
  const right = toWords(halves[1]);
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  if (fill < 0) return null;
  const words = [...left, ...new Array<number>(fill).fill(0), ...right];
  if (words.length !== 8 || words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffff)) return null;
  return words.reduce((acc, word) => (acc << 16n) | BigInt(word), 0n);
}

function v4Network(cidr: string): readonly [number, number] {
  const [address, prefix] = cidr.split('/') as [string, string];
  return [parseIpv4(address) as number, Number(prefix)];
}

function v6Network(cidr: string): readonly [bigint, number] {
  const [address, prefix] = cidr.split('/') as [string, string];
  return [parseIpv6(address) as bigint, Number(prefix)];
}

// First match wins, so more specific networks come first.
const IPV4_RULES: ReadonlyArray<readonly [number, number, AddressClass]> = (
  [
    ['255.255.255.255/32', 'broadcast'],
    ['0.0.0.0/32', 'unspecified'], // connects to the local host on Linux
    ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
    ['169.254.170.2/32', 'metadata'], // AWS ECS task metadata
    ['100.100.100.200/32', 'metadata'], // Alibaba Cloud metadata
    ['0.0.0.0/8', 'reserved'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'cgnat'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link_local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'], // IETF protocol assignments (also Oracle Cloud's 192.0.0.192 metadata)
    ['192.0.2.0/24', 'documentation'],
    ['192.88.99.0/24', 'reserved'], // retired 6to4 relay anycast
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'benchmarking'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.0/24', 'documentation'],
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'],
  ] as const
).map(([cidr, result]) => [...v4Network(cidr), result] as const);

const IPV6_RULES: readonly Rule[] = (
  [
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['fd00:ec2::254/128', 'metadata'], // AWS instance metadata over IPv6
    ['::ffff:0:0/96', 'v4-mapped'],
    ['::ffff:0:0:0/96', 'v4-mapped'], // IPv4-translated (SIIT)
    ['::/96', 'v4-compatible'], // deprecated IPv4-compatible addresses
    ['64:ff9b::/96', 'nat64'],
    ['64:ff9b:1::/48', 'private'], // local-use NAT64
    ['100::/64', 'reserved'], // discard-only
    ['2001::/32', 'teredo'],
    ['2001:2::/48', 'benchmarking'],
    ['2001:10::/28', 'reserved'], // ORCHID
    ['2001:20::/28', 'reserved'], // ORCHIDv2
    ['2001:db8::/32', 'documentation'],
    ['2002::/16', '6to4'],
    ['3fff::/20', 'documentation'],
    ['fc00::/7', 'private'], // unique local
    ['fe80::/10', 'link_local'],
    ['fec0::/10', 'private'], // deprecated site-local
    ['ff00::/8', 'multicast'],
    ['2000::/3', 'public'], // global unicast; everything outside it is unassigned or special
  ] as const
).map(([cidr, result]) => [...v6Network(cidr), result] as const);

function inV4(address: number, network: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return ((address & mask) >>> 0) === ((network & mask) >>> 0);
}

function inV6(address: bigint, network: bigint, prefix: number): boolean {
  const shift = BigInt(128 - prefix);
  return address >> shift === network >> shift;
}

function classifyV4(address: number): AddressClass {
  for (const [network, prefix, result] of IPV4_RULES) if (inV4(address, network, prefix)) return result;
  return 'public';
}

function classifyV6(address: bigint): AddressClass {
  const low32 = Number(address & 0xffffffffn);
  for (const [network, prefix, result] of IPV6_RULES) {
    if (!inV6(address, network, prefix)) continue;
    switch (result) {
      case 'v4-mapped':
      case 'nat64':
        // The socket ends up talking to the embedded IPv4 address, so that address decides.
        return classifyV4(low32);
      case 'v4-compatible': {
        const embedded = classifyV4(low32);
        return embedded === 'public' ? 'reserved' : embedded;
      }
      case '6to4':
        return classifyV4(Number((address >> 80n) & 0xffffffffn));
      case 'teredo': {
        const server = classifyV4(Number((address >> 64n) & 0xffffffffn));
        if (server !== 'public') return server;
        // Teredo stores the client's IPv4 address bit-inverted in the low 32 bits.
        return classifyV4((~low32) >>> 0);
      }
      default:
        return result;
    }
  }
  return 'reserved';
}

/** Classifies an IP address (v4 dotted quad or any v6 form, optionally bracketed); only 'public' may be a webhook target. */
export function classifyAddress(ip: string): AddressClass {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const v4 = parseIpv4(text);
  if (v4 !== null) return classifyV4(v4);
  const v6 = parseIpv6(text);
  if (v6 !== null) return classifyV6(v6);
  return 'invalid';
}

/** True when an address may be a webhook target without FC_ALLOW_PRIVATE_WEBHOOK_TARGETS. */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === 'public';
}

function describeClass(addressClass: AddressClass): string {
  return addressClass.replace('_', '-').replace('cgnat', 'carrier-grade NAT');
}

// ---------------------------------------------------------------------------------------------------------
// Save-time URL checks

// Names that by convention never resolve on the public internet, but may well resolve inside our network
// (search domains, mDNS, cloud-internal DNS such as metadata.google.internal).
const INTERNAL_NAME_SUFFIXES = [
  'localhost', 'localdomain', 'local', 'internal', 'intranet', 'lan', 'home', 'corp', 'home.arpa',
  'in-addr.arpa', 'ip6.arpa', 'invalid', 'test', 'example',
];

export type UrlCheck =
  | { ok: true; url: URL }
  | { ok: false; reason: 'invalid_url' | 'blocked_address'; message: string };

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Checks a webhook URL without DNS: scheme, credentials, IP literals in any spelling, internal names. */
export function checkWebhookUrl(input: string, options: UrlGuardOptions): UrlCheck {
  const invalid = (message: string): UrlCheck => ({ ok: false, reason: 'invalid_url', message });
  const blocked = (message: string): UrlCheck => ({ ok: false, reason: 'blocked_address', message });
  const text = input.trim();
  if (text === '') return invalid('is required');
  if (text.length > WEBHOOK_URL_MAX_CHARS) return invalid(`must be at most ${WEBHOOK_URL_MAX_CHARS} characters`);
  let url: URL;
  try {
    // The WHATWG parser canonicalises IPv4 literals in every legacy spelling (0x7f000001, 127.1,
    // 2130706433, 0177.0.0.1, full-width digits) to a dotted quad, so only that form needs checking below.
    url = new URL(text);
  } catch {
    return invalid('must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return invalid('must use http:// or https://');
  // Credentials in the URL would be logged with it and sent to whoever the host is; use a custom header.
  if (url.username !== '' || url.password !== '') {
    return invalid('must not contain a user name or password; send credentials in a custom header instead');
  }
  if (url.hostname === '') return invalid('must name a host');
  if (options.allowPrivate) return { ok: true, url };

  const host = stripBrackets(url.hostname);
  if (isIP(host) !== 0) {
    const addressClass = classifyAddress(host);
    if (addressClass !== 'public') return blocked(`points at a ${describeClass(addressClass)} address (${host})`);
    return { ok: true, url };
  }
  const name = host.toLowerCase().replace(/\.+$/, '');
  if (!name.includes('.')) {
    // A single label resolves through the server's search domains: an internal name by construction.
    return blocked(`must use a fully qualified public host name (got "${name}")`);
  }
  for (const suffix of INTERNAL_NAME_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return blocked(`points at an internal host name (${name})`);
  }
  return { ok: true, url };
}

/** Validates a webhook URL at save time (no DNS); returns the normalised URL or throws `validation_failed` on field `url`. */
export function validateWebhookUrl(input: unknown, options: UrlGuardOptions, field = 'url'): string {
  if (typeof input !== 'string') {
    throw new AppError('validation_failed', 'The webhook URL is not acceptable', [{ field, message: 'must be a string' }]);
  }
  const check = checkWebhookUrl(input, options);
  if (!check.ok) throw new AppError('validation_failed', `The webhook URL ${check.message}`, [{ field, message: check.message }]);
  return check.url.href;
}

const resolveAllWithDns: ResolveAllFn = (hostname, options) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses);
    });
  });

/**
 * Save-time DNS check: resolves `hostname` (a URL's hostname; IP literals pass straight to the classifier)
 * and throws `validation_failed` if it does not resolve or if ANY address is not public — an attacker
 * controlling the zone could otherwise hand out a public and a private address and let us pick.
 */
export async function assertResolvesPublic(
  hostname: string,
  options: { field?: string; resolve?: ResolveAllFn } = {},
): Promise<void> {
  const field = options.field ?? 'url';
  const fail = (message: string): never => {
    throw new AppError('validation_failed', `The webhook URL ${message}`, [{ field, message }]);
  };
  const host = stripBrackets(hostname);
  if (isIP(host) !== 0) {
    const addressClass = classifyAddress(host);
    if (addressClass !== 'public') fail(`points at a ${describeClass(addressClass)} address (${host})`);
    return;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await (options.resolve ?? resolveAllWithDns)(host, { all: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'EAI_AGAIN' ? `host ${host} could not be resolved right now; try again` : `host ${host} does not resolve`);
  }
  if (addresses.length === 0) return fail(`host ${host} does not resolve`);
  for (const { address } of addresses) {
    const addressClass = classifyAddress(address);
    if (addressClass !== 'public') fail(`host ${host} resolves to a ${describeClass(addressClass)} address (${address})`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Connect-time check

/**
 * A `lookup` for `net.connect`/`tls.connect` (undici's `connect` option). It resolves the name, refuses
 * the connection if any address is not public, and returns only the addresses it checked — the socket
 * connects to exactly those, so a second, different DNS answer can never slip in (no rebinding TOCTOU).
 * It answers in both callback shapes Node uses (`all: true` for happy-eyeballs, or a single address).
 * IP-literal hosts never reach a lookup function in Node: the sender checks those itself.
 */
export function createGuardedLookup(options: UrlGuardOptions & { resolve?: ResolveAllFn }): LookupFunction {
  const resolve = options.resolve ?? resolveAllWithDns;
  return (hostname, lookupOptions, callback) => {
    const wantsAll = lookupOptions.all === true;
    const resolveOptions: LookupOptions = { all: true };
    if (lookupOptions.family !== undefined) resolveOptions.family = lookupOptions.family;
    if (lookupOptions.hints !== undefined) resolveOptions.hints = lookupOptions.hints;
    resolve(hostname, resolveOptions).then(
      (addresses) => {
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          callback(error, '', 0);
          return;
        }
        if (!options.allowPrivate) {
          for (const { address } of addresses) {
            const addressClass = classifyAddress(address);
            if (addressClass !== 'public') {
              callback(new BlockedAddressError(hostname, address, addressClass), '', 0);
              return;
            }
          }
        }
        const checked = addresses.map(({ address, family }) => ({ address, family }));
        if (wantsAll) callback(null, checked);
        else callback(null, (checked[0] as LookupAddress).address, (checked[0] as LookupAddress).family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
