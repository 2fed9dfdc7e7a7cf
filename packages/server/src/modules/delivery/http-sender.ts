import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import { Agent } from 'undici';
import { createConcurrencyGate } from './concurrency-gate.js';
import { RETRY_AFTER_MAX_MS } from './retry-schedule.js';
import { BLOCKED_ADDRESS_ERROR_CODE, checkWebhookUrl, createGuardedLookup } from './url-guard.js';
import type { ResolveAllFn } from './url-guard.js';

/**
 * One HTTP attempt of a webhook delivery, classified for the retry logic and the delivery log. Never
 * throws for anything the receiver or the network does: every attempt ends in a `SendResult`.
 */

export const DELIVERY_TIMEOUT_MS = 15_000;
export const MAX_RESPONSE_BYTES = 65_536;
export const RESPONSE_EXCERPT_BYTES = 1_024;
export const PER_ORIGIN_CONNECTIONS = 8;
const CONNECT_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 4_000;
const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;

export type SendOutcome = 'success' | 'retry' | 'gone' | 'failure';
export type SendErrorClass =
  | 'timeout'
  | 'connection'
  | 'dns'
  | 'tls'
  | 'blocked_address'
  | 'invalid_url'
  | 'redirect'
  | 'http_status'
  | 'aborted'
  | 'unknown';

export interface SendResult {
  /**
   * `success` 2xx; `gone` 410 (disable the webhook); `retry` for 3xx, 429, 5xx, other 4xx, timeouts and
   * network errors; `failure` when retrying cannot help until the customer changes the URL (it is
   * invalid, or it points at a refused address) — the delivery fails now and can be re-sent later.
   */
  outcome: SendOutcome;
  statusCode: number | null;
  latencyMs: number;
  errorClass: SendErrorClass | null;
  /** A human-readable reason for the delivery log (never the response body). */
  errorMessage: string | null;
  /** The first ≤ 1 KB of the response body as text. */
  responseExcerpt: string;
  /** The receiver's Retry-After in ms, clamped to [0, 24 h]; null when absent or unparseable. */
  retryAfterMs: number | null;
}

export interface SendRequest {
  url: string;
  method?: 'POST' | 'PUT' | 'PATCH';
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Concurrency bucket: the webhook id, so one customer's endpoint is capped; defaults to the URL's origin. */
  concurrencyKey?: string;
  /** Aborts a send (worker shutdown): the attempt ends as `retry` / `aborted`. */
  signal?: AbortSignal;
}

export interface WebhookSenderOptions {
  allowPrivate: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Keep-alive connections per origin, and the concurrency cap per key. */
  perOriginConnections?: number;
  /** Overrides DNS resolution (tests). */
  resolve?: ResolveAllFn;
  /** Extra TLS options, e.g. a test CA. */
  tls?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>;
}

export interface WebhookSender {
  /** Makes one attempt; waits for a concurrency slot first (the wait is not part of the timeout or latency). */
  send(request: SendRequest): Promise<SendResult>;
  /** True when `key` has a free slot now, so a worker can defer work for saturated destinations instead of queueing. */
  hasCapacity(key: string): boolean;
  /** Closes pooled connections; in-flight sends finish first. */
  close(): Promise<void>;
}

class DeliveryTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
    this.name = 'DeliveryTimeoutError';
  }
}

/** Parses a Retry-After value (delta seconds or an HTTP date) into ms from `nowMs`, clamped to [0, 24 h]; null if unusable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number = Date.now()): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (raw === undefined || raw === '') return null;
  let delayMs: number;
  if (/^\d+$/.test(raw)) delayMs = Number(raw) * 1_000;
  else {
    // HTTP dates always name a weekday and a time zone ("GMT"); anything else Date.parse accepts is noise.
    if (!/^[A-Za-z]{3},? /.test(raw)) return null;
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return null;
    delayMs = at - nowMs;
  }
  if (!Number.isFinite(delayMs)) return null;
  return Math.min(Math.max(0, delayMs), RETRY_AFTER_MAX_MS);
}

/** The first `code` on an error's cause chain (undici sometimes wraps the socket error): what went wrong on the wire. */
export function errorCodeOf(error: unknown): string {
  let current: unknown = error;
  // undici sometimes wraps the socket error; the first code on the cause chain is the informative one.
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL)/;

function classifyError(error: unknown): { errorClass: SendErrorClass; outcome: SendOutcome } {
  if (error instanceof DeliveryTimeoutError) return { errorClass: 'timeout', outcome: 'retry' };
  const code = errorCodeOf(error);
  if (code === BLOCKED_ADDRESS_ERROR_CODE) return { errorClass: 'blocked_address', outcome: 'failure' };
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return { errorClass: 'timeout', outcome: 'retry' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_NONAME') return { errorClass: 'dns', outcome: 'retry' };
  if (TLS_CODE.test(code)) return { errorClass: 'tls', outcome: 'retry' };
  if (code === 'UND_ERR_ABORTED' || (error instanceof Error && error.name === 'AbortError')) return { errorClass: 'aborted', outcome: 'retry' };
  if (code.startsWith('E') || code.startsWith('UND_ERR')) return { errorClass: 'connection', outcome: 'retry' };
  return { errorClass: 'unknown', outcome: 'retry' };
}

function classifyStatus(status: number): { outcome: SendOutcome; errorClass: SendErrorClass | null } {
  if (status >= 200 && status < 300) return { outcome: 'success', errorClass: null };
  if (status === 410) return { outcome: 'gone', errorClass: 'http_status' };
  // Redirects are not followed: the URL was checked, the Location was not, and a redirect is a classic
  // way to bounce a request into an internal network.
  if (status >= 300 && status < 400) return { outcome: 'retry', errorClass: 'redirect' };
  return { outcome: 'retry', errorClass: 'http_status' };
}

function toExcerpt(chunks: readonly Buffer[]): string {
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
  // Drop a character cut in half by the byte limit, and NULs, which PostgreSQL text columns reject.
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, '').replaceAll('\u0000', '\uFFFD');
}

function describeFailure(errorClass: SendErrorClass, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return `${errorClass}: ${detail}`.slice(0, 500);
}

/** Creates the pooled, SSRF-guarded HTTP client of the delivery worker. */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const perOrigin = options.perOriginConnections ?? PER_ORIGIN_CONNECTIONS;
  const guardOptions = { allowPrivate: options.allowPrivate };
  const lookup = createGuardedLookup(options.resolve ? { ...guardOptions, resolve: options.resolve } : guardOptions);
  const agent = new Agent({
    connections: perOrigin,
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Every socket resolves its host through the guard, and connects only to the addresses it checked.
    connect: { lookup, timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs), ...options.tls },
  });
  const gate = createConcurrencyGate(perOrigin);

  const attempt = async (url: URL, request: SendRequest): Promise<SendResult> => {
    const startedAt = performance.now();
    const elapsed = (): number => Math.round(performance.now() - startedAt);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeliveryTimeoutError(timeoutMs)), timeoutMs);
    const onCallerAbort = (): void => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      let response: Awaited<ReturnType<Agent['request']>>;
      try {
        response = await agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method ?? 'POST',
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
        });
      } catch (error) {
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        const { errorClass, outcome } = classifyError(reason);
        return { outcome, statusCode: null, latencyMs: elapsed(), errorClass, errorMessage: describeFailure(errorClass, reason), responseExcerpt: '', retryAfterMs: null };
      }
      const chunks: Buffer[] = [];
      let received = 0;
      try {
        for await (const chunk of response.body) {
          const buffer = chunk as Buffer;
          chunks.push(buffer);
          received += buffer.length;
          if (received >= maxResponseBytes) break; // leaving the loop destroys the stream and its socket
        }
      } catch {
        // The status already decides the outcome; a body cut short by the deadline or a reset only
        // shortens the excerpt. The receiver has answered, so a 2xx here is a delivered event.
      } finally {
        if (!response.body.destroyed) response.body.destroy();
      }
      const { outcome, errorClass } = classifyStatus(response.statusCode);
      return {
        outcome,
        statusCode: response.statusCode,
        latencyMs: elapsed(),
        errorClass,
        errorMessage: errorClass === null ? null : `${errorClass}: HTTP ${response.statusCode}`,
        responseExcerpt: toExcerpt(chunks),
        retryAfterMs: outcome === 'retry' ? parseRetryAfter(response.headers['retry-after']) : null,
      };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  };

  return {
    async send(request) {
      // Re-checked on every send: the URL may have been saved while private targets were allowed, and
      // IP-literal hosts never reach the guarded DNS lookup.
      const check = checkWebhookUrl(request.url, guardOptions);
      if (!check.ok) {
        return {
          outcome: 'failure', statusCode: null, latencyMs: 0, errorClass: check.reason,
          errorMessage: `${check.reason}: the URL ${check.message}`, responseExcerpt: '', retryAfterMs: null,
        };
      }
      const key = request.concurrencyKey ?? check.url.origin;
      let release: () => void;
      try {
        release = await gate.acquire(key, request.signal);
      } catch (error) {
        return { outcome: 'retry', statusCode: null, latencyMs: 0, errorClass: 'aborted', errorMessage: describeFailure('aborted', error), responseExcerpt: '', retryAfterMs: null };
      }
      try {
        return await attempt(check.url, request);
      } finally {
        release();
      }
    },
    hasCapacity: (key) => gate.activeCount(key) < perOrigin,
    close: () => agent.close(),
  };
}
