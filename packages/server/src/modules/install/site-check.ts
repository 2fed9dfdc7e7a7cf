import { Parser } from 'htmlparser2';
import { Agent } from 'undici';
import { BLOCKED_ADDRESS_ERROR_CODE, BlockedAddressError, checkWebhookUrl, createGuardedLookup, type ResolveAllFn } from '../delivery/index.js';

/** The whole check, every redirect included: a customer waits for the answer. */
export const SITE_CHECK_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Pages are read up to this many bytes; the snippet usually sits before `</body>`, so big pages are cut, not refused. */
export const SITE_CHECK_MAX_BYTES = 2 * 1024 * 1024;
export const SITE_CHECK_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const WIDGET_SRC = /\/widget(\.[a-f0-9]{6,64})?\.js(?:[?#]|$)/;
const TAG_MANAGER = /googletagmanager\.com\/gtm\.js|\bGTM-[A-Z0-9]{4,10}\b/;

export type SiteCheckResult = 'found' | 'found_other' | 'not_found' | 'fetch_failed';
export type SiteCheckFailure =
  | 'invalid_url' | 'blocked_address' | 'dns' | 'timeout' | 'tls' | 'connection' | 'http_status' | 'too_many_redirects';

export interface SiteCheckReport {
  result: SiteCheckResult;
  /** The address checked (normalised). */
  url: string;
  /** Where the page was read after redirects; null when nothing was read. */
  finalUrl: string | null;
  statusCode: number | null;
  /** Chatbot ids of every FusionChatalyst snippet on the page. */
  chatbotIds: string[];
  /** The page loads Google Tag Manager: a snippet added as a GTM tag is only there after the page runs, so a plain fetch cannot see it. */
  tagManager: boolean;
  /** Why the page could not be read (`fetch_failed` only). */
  reason: SiteCheckFailure | null;
  /** What to tell the customer, in plain words. */
  detail: string;
  /** True when the page was longer than the read limit and only its start was searched. */
  truncated: boolean;
}

export interface SiteChecker {
  /** Fetches the page (following redirects only to addresses that pass the guard again) and looks for the snippet. */
  check(url: string, chatbotId: string): Promise<SiteCheckReport>;
  close(): Promise<void>;
}

export interface SiteCheckerOptions {
  allowPrivate: boolean;
  userAgent: string;
  timeoutMs?: number;
  maxBytes?: number;
  resolve?: ResolveAllFn;
}

class SiteCheckTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs / 1000} s`);
    this.name = 'SiteCheckTimeoutError';
  }
}

function errorOnChain(error: unknown): { code: string; blocked: BlockedAddressError | null } {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    if (current instanceof BlockedAddressError) return { code: BLOCKED_ADDRESS_ERROR_CODE, blocked: current };
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return { code, blocked: null };
    current = (current as { cause?: unknown }).cause;
  }
  return { code: '', blocked: null };
}

function describeNetworkError(error: unknown, host: string, timeoutMs: number): { reason: SiteCheckFailure; detail: string } {
  if (error instanceof SiteCheckTimeoutError) return { reason: 'timeout', detail: `Your site did not answer within ${timeoutMs / 1000} seconds.` };
  const { code, blocked } = errorOnChain(error);
  if (blocked) {
    return { reason: 'blocked_address', detail: `${host} points at a ${blocked.addressClass.replace('_', '-')} address (${blocked.address}). Only public websites can be checked.` };
  }
  if (['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'].includes(code)) {
    return { reason: 'timeout', detail: `Your site did not answer in time (${code}).` };
  }
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME'].includes(code)) {
    return { reason: 'dns', detail: `${host} could not be found (DNS: ${code}). Check the address for typos.` };
  }
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL)/.test(code)) {
    return { reason: 'tls', detail: `The secure connection to ${host} failed (${code}): its HTTPS certificate may be invalid.` };
  }
  return { reason: 'connection', detail: `Could not connect to ${host}${code ? ` (${code})` : ''}.` };
}

/** Collects the snippet's chatbot ids (and whether GTM is loaded) from HTML fed in chunks; comments are ignored. */
function createSnippetScanner(): { write(chunk: string): void; end(): { chatbotIds: string[]; tagManager: boolean } } {
  const ids = new Set<string>();
  let tagManager = false;
  let inScript = false;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name !== 'script') return;
      inScript = true;
      const src = attributes.src ?? '';
      const id = attributes['data-chatbot-id'];
      if (id !== undefined && WIDGET_SRC.test(src)) ids.add(id.trim());
      if (TAG_MANAGER.test(src)) tagManager = true;
    },
    ontext(text) {
      if (inScript && !tagManager && TAG_MANAGER.test(text)) tagManager = true;
    },
    onclosetag(name) {
      if (name === 'script') inScript = false;
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  return {
    write: (chunk) => parser.write(chunk),
    end: () => {
      parser.end();
      return { chatbotIds: [...ids].filter((id) => id !== ''), tagManager };
    },
  };
}

/** Drops an answer's body unread (undici reports an unread body's destruction as an error: nothing to report here). */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Accepts "example.com/page" as "https://example.com/page": customers type addresses the way browsers let them. */
export function normaliseSiteUrl(input: string): string {
  const text = input.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
}

/** The "Check my site" fetcher: one pooled client whose sockets connect only to addresses the URL guard accepted. */
export function createSiteChecker(options: SiteCheckerOptions): SiteChecker {
  const timeoutMs = options.timeoutMs ?? SITE_CHECK_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? SITE_CHECK_MAX_BYTES;
  const guard = { allowPrivate: options.allowPrivate };
  const lookup = createGuardedLookup(options.resolve ? { ...guard, resolve: options.resolve } : guard);
  const agent = new Agent({
    connections: 4,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { lookup, timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs) },
  });

  async function check(input: string, chatbotId: string): Promise<SiteCheckReport> {
    const first = normaliseSiteUrl(input);
    const base: SiteCheckReport = {
      result: 'fetch_failed', url: first, finalUrl: null, statusCode: null, chatbotIds: [], tagManager: false, reason: null, detail: '', truncated: false,
    };
    const fail = (reason: SiteCheckFailure, detail: string, extra: Partial<SiteCheckReport> = {}): SiteCheckReport => ({ ...base, ...extra, result: 'fetch_failed', reason, detail });

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new SiteCheckTimeoutError(timeoutMs)), timeoutMs);
    try {
      let current = first;
      for (let hop = 0; hop <= SITE_CHECK_MAX_REDIRECTS; hop += 1) {
        // Every hop is checked again: a public page may redirect to an internal address (a classic SSRF bounce).
        const verdict = checkWebhookUrl(current, guard);
        if (!verdict.ok) {
          const where = hop === 0 ? 'The address' : `The page redirected to ${current}, which`;
          return fail(verdict.reason, verdict.reason === 'blocked_address' ? `${where} ${verdict.message}. Only public websites can be checked.` : `${where} ${verdict.message}.`);
        }
        const url = verdict.url;
        let response: Awaited<ReturnType<Agent['request']>>;
        try {
          response = await agent.request({
            origin: url.origin,
            path: `${url.pathname}${url.search}`,
            method: 'GET',
            headers: { 'user-agent': options.userAgent, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1', 'accept-encoding': 'identity' },
            signal: controller.signal,
          });
        } catch (error) {
          const { reason, detail } = describeNetworkError(controller.signal.aborted ? controller.signal.reason : error, url.hostname, timeoutMs);
          return fail(reason, detail, { finalUrl: hop === 0 ? null : url.href });
        }
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(response.statusCode) && typeof location === 'string') {
          discard(response.body);
          current = new URL(location, url).href;
          continue;
        }
        if (response.statusCode < 200 || response.statusCode >= 300) {
          discard(response.body);
          return fail('http_status', `${url.href} answered HTTP ${response.statusCode}${response.statusCode === 404 ? ' (not found): check the address' : ''}.`, { finalUrl: url.href, statusCode: response.statusCode });
        }

        const scanner = createSnippetScanner();
        const decoder = new TextDecoder('utf-8', { fatal: false });
        let received = 0;
        let truncated = false;
        try {
          for await (const chunk of response.body) {
            const buffer = chunk as Buffer;
            const room = maxBytes - received;
            received += buffer.length;
            scanner.write(decoder.decode(buffer.subarray(0, Math.max(0, room)), { stream: true }));
            if (received >= maxBytes) {
              truncated = received > maxBytes;
              break; // leaving the loop destroys the stream and its socket
            }
          }
        } catch (error) {
          const { reason, detail } = describeNetworkError(controller.signal.aborted ? controller.signal.reason : error, url.hostname, timeoutMs);
          return fail(reason, detail, { finalUrl: url.href, statusCode: response.statusCode });
        } finally {
          if (!response.body.destroyed) discard(response.body);
        }
        scanner.write(decoder.decode());
        const { chatbotIds, tagManager } = scanner.end();
        const found = { ...base, finalUrl: url.href, statusCode: response.statusCode, chatbotIds, tagManager, truncated };
        const readNote = truncated ? ` We searched the first ${Math.round(maxBytes / 1024 / 1024)} MB of the page.` : '';
        if (chatbotIds.includes(chatbotId)) {
          return { ...found, result: 'found', detail: `The snippet for this chatbot is on ${url.href}.` };
        }
        if (chatbotIds.length > 0) {
          return { ...found, result: 'found_other', detail: `${url.href} has a FusionChatalyst snippet, but for ${chatbotIds.join(', ')}, not this chatbot (${chatbotId}). Copy this chatbot's snippet again.` };
        }
        const gtmNote = tagManager ? ' The page loads Google Tag Manager: a snippet added as a GTM tag only appears once the page runs in a browser, so this check cannot see it. Use GTM’s Preview mode, or open your site and look for the chat button.' : '';
        return { ...found, result: 'not_found', detail: `No FusionChatalyst snippet on ${url.href}.${readNote}${gtmNote}` };
      }
      return fail('too_many_redirects', `The page redirected more than ${SITE_CHECK_MAX_REDIRECTS} times.`);
    } finally {
      clearTimeout(timer);
    }
  }

  return { check, close: () => agent.close() };
}
