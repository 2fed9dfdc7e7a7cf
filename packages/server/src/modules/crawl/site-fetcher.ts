import { Agent } from 'undici';
import { BLOCKED_ADDRESS_ERROR_CODE, checkWebhookUrl, createGuardedLookup, type ResolveAllFn } from '../delivery/url-guard.js';
import { errorCodeOf } from '../delivery/http-sender.js';

/**
 * The crawler's only way out to the internet. Every request — the start page, robots.txt, sitemaps and each
 * redirect hop — goes through the same checks as a webhook (`delivery/url-guard.ts`): http(s) only, no
 * credentials, IP literals and internal names refused, and every socket resolves its host through the
 * guarded lookup, so it connects only to addresses that were checked (no DNS rebinding). On top of that:
 * redirects are followed by hand, at most `MAX_REDIRECTS`, each hop re-checked and kept on the same site; the
 * body is read up to a byte cap and never past it; one total timeout per request.
 */

export const FETCH_TIMEOUT_MS = 15_000;
export const MAX_REDIRECTS = 5;
/** Connections per site: a small business's server must not notice us. */
export const CONNECTIONS_PER_SITE = 2;
const CONNECT_TIMEOUT_MS = 10_000;

export type FetchFailureKind = 'blocked_address' | 'invalid_url' | 'off_site' | 'redirect_loop' | 'too_many_redirects' | 'too_large' | 'timeout' | 'network' | 'aborted';

export interface FetchedResponse {
  ok: true;
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FetchFailure {
  ok: false;
  kind: FetchFailureKind;
  /** What went wrong, in words for the portal's crawl report. */
  message: string;
  /** The URL that was being fetched when it failed (a redirect target, possibly). */
  url: string;
}

export interface FetchOptions {
  maxBytes: number;
  /** Sent as-is (User-Agent, Accept, conditional-request headers). */
  headers: Record<string, string>;
  signal?: AbortSignal;
  /**
   * Called for every redirect target before it is requested; return a reason to refuse it (robots.txt,
   * off-site). The start URL is the caller's to check.
   */
  checkRedirect?: (target: URL) => string | null;
  /** Refuse (as `too_large`) a response whose Content-Type is not accepted, without reading its body. */
  acceptContentType?: (contentType: string) => boolean;
}

export interface SiteFetcher {
  fetch(url: string, options: FetchOptions): Promise<FetchedResponse | FetchFailure>;
  close(): Promise<void>;
}

export interface SiteFetcherOptions {
  /** FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: self-hosted and test setups may crawl private addresses. */
  allowPrivate: boolean;
  timeoutMs?: number;
  /** Overrides DNS resolution (tests). */
  resolve?: ResolveAllFn;
}

/** A site is its host name without a leading `www.` plus its port: http and https of one host are one site. */
export function siteKeyOf(url: URL): string {
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const port = url.port === '' ? '' : `:${url.port}`;
  return `${host}${port}`;
}

class FetchTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'FetchTimeoutError';
  }
}

function describeNetworkError(error: unknown): { kind: FetchFailureKind; message: string } {
  if (error instanceof FetchTimeoutError) return { kind: 'timeout', message: error.message };
  const code = errorCodeOf(error);
  if (code === BLOCKED_ADDRESS_ERROR_CODE) return { kind: 'blocked_address', message: (error as Error).message };
  if (code === 'UND_ERR_ABORTED' || (error instanceof Error && error.name === 'AbortError')) return { kind: 'aborted', message: 'stopped' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'network', message: 'the host name does not resolve' };
  if (code === 'ECONNREFUSED') return { kind: 'network', message: 'the server refused the connection' };
  if (code.startsWith('UND_ERR_') && code.includes('TIMEOUT')) return { kind: 'timeout', message: 'the server did not answer in time' };
  return { kind: 'network', message: `network error${code ? ` (${code})` : ''}` };
}

/** Stops reading a body; the abort error undici raises for it is expected, not a failure. */
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Creates the crawler's guarded HTTP client (one per worker; connections pooled per site). */
export function createSiteFetcher(options: SiteFetcherOptions): SiteFetcher {
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const guard = { allowPrivate: options.allowPrivate };
  const lookup = createGuardedLookup(options.resolve ? { ...guard, resolve: options.resolve } : guard);
  const agent = new Agent({
    connections: CONNECTIONS_PER_SITE,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { lookup, timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs) },
  });

  async function fetchOnce(url: URL, fetchOptions: FetchOptions, signal: AbortSignal): Promise<FetchedResponse | FetchFailure> {
    const response = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: fetchOptions.headers,
      signal,
    });
    const headers = flattenHeaders(response.headers);
    const isRedirect = response.statusCode >= 300 && response.statusCode < 400 && headers.location !== undefined;
    const contentType = headers['content-type'] ?? '';
    const isWanted = response.statusCode >= 200 && response.statusCode < 300 && (fetchOptions.acceptContentType?.(contentType) ?? true);
    if (isRedirect || !isWanted) {
      // Only the status and headers matter: drop the body without reading it.
      discard(response.body);
      return { ok: true, url: url.href, status: response.statusCode, headers, body: Buffer.alloc(0) };
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > fetchOptions.maxBytes) {
      discard(response.body);
      return { ok: false, kind: 'too_large', message: `larger than the ${formatBytes(fetchOptions.maxBytes)} cap per page (${formatBytes(declared)})`, url: url.href };
    }
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of response.body) {
      const bytes = chunk as Buffer;
      received += bytes.length;
      if (received > fetchOptions.maxBytes) {
        discard(response.body);
        return { ok: false, kind: 'too_large', message: `larger than the ${formatBytes(fetchOptions.maxBytes)} cap per page`, url: url.href };
      }
      chunks.push(bytes);
    }
    return { ok: true, url: url.href, status: response.statusCode, headers, body: Buffer.concat(chunks) };
  }

  return {
    async fetch(input, fetchOptions) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new FetchTimeoutError(timeoutMs)), timeoutMs);
      const onAbort = (): void => controller.abort(fetchOptions.signal?.reason);
      fetchOptions.signal?.addEventListener('abort', onAbort, { once: true });
      const seen = new Set<string>();
      let current = input;
      try {
        for (let hop = 0; ; hop += 1) {
          const check = checkWebhookUrl(current, guard);
          if (!check.ok) return { ok: false, kind: check.reason, message: `the address ${check.message}`, url: current };
          const url = check.url;
          url.hash = '';
          seen.add(url.href);
          let result: FetchedResponse | FetchFailure;
          try {
            result = await fetchOnce(url, fetchOptions, controller.signal);
          } catch (error) {
            const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
            return { ok: false, ...describeNetworkError(reason), url: url.href };
          }
          if (!result.ok || result.status < 300 || result.status >= 400 || result.headers.location === undefined) return result;
          let target: URL;
          try {
            target = new URL(result.headers.location, url);
          } catch {
            return { ok: false, kind: 'invalid_url', message: `redirects to an address that is not a URL (${result.headers.location.slice(0, 200)})`, url: url.href };
          }
          target.hash = '';
          if (seen.has(target.href)) return { ok: false, kind: 'redirect_loop', message: `redirect loop (back to ${target.href})`, url: url.href };
          if (hop + 1 > MAX_REDIRECTS) return { ok: false, kind: 'too_many_redirects', message: `more than ${MAX_REDIRECTS} redirects`, url: url.href };
          const refused = fetchOptions.checkRedirect?.(target) ?? null;
          if (refused !== null) return { ok: false, kind: 'off_site', message: `redirects to ${target.href}: ${refused}`, url: url.href };
          current = target.href;
        }
      } finally {
        clearTimeout(timer);
        fetchOptions.signal?.removeEventListener('abort', onAbort);
      }
    },
    close: () => agent.close(),
  };
}

/** "2 MB", "512 KB": caps as the portal shows them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}
