import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch, type Response } from 'undici';
import { checkWebhookUrl, createGuardedLookup, parseRetryAfter, type UrlCheck } from '../delivery/index.js';

/**
 * Google's OAuth 2.0 service-account flow and the three Sheets calls we need, with `fetch` and
 * `node:crypto` only (Google's client packages need Node 22). Every failure becomes a `SheetsApiError`
 * whose message is written for the customer: the delivery log and "Test connection" show it as is.
 */

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most an hour. */
const ASSERTION_LIFETIME_S = 3_600;
/** A cached access token is replaced this long before it expires, so no request carries a dying token. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
export const SHEETS_REQUEST_TIMEOUT_MS = 15_000;
/** Sheets API quota: about 60 write and 60 read requests a minute per service account (per user, per project). */
export const SHEETS_WRITES_PER_MINUTE = 60;
export const SHEETS_READS_PER_MINUTE = 60;
const THROTTLE_BURST = 5;
/** A 429 without Retry-After keeps the service account quiet this long. */
export const RATE_LIMIT_DEFAULT_BACKOFF_MS = 30_000;
/** Google refuses cells longer than this. */
export const SHEETS_CELL_MAX_CHARS = 50_000;
const ERROR_EXCERPT_CHARS = 300;

/** What we keep of an uploaded service-account key file. */
export interface ServiceAccountKey {
  clientEmail: string;
  /** PEM (PKCS#8) as in the key file's `private_key`. */
  privateKey: string;
  privateKeyId: string | null;
  tokenUri: string;
}

/** A key file as one destination uses it. */
export interface ServiceAccount extends ServiceAccountKey {
  /**
   * Whose quota and back-off a call counts against: one customer's destination (`<customer id>:<destination id>`),
   * never the bare `client_email`. The e-mail is public (anyone a sheet is shared with sees it), so keying by it
   * let another tenant's 429s — from a token endpoint of their choosing — quiet this tenant's rows for a day.
   */
  throttleKey: string;
}

/** Hosts of Google's OAuth token endpoint (https only, default port); the key files Google issues name the first. */
export const GOOGLE_TOKEN_HOSTS: readonly string[] = ['oauth2.googleapis.com', 'accounts.google.com'];

/**
 * Checks a key file's `token_uri`: guarded like a webhook URL (no private or metadata address unless the
 * server allows them), then accepted only on Google's token hosts over https, or on the origin of
 * FC_GOOGLE_SHEETS_BASE_URL (an operator's setting, which tests and local setups point at a fake Google).
 * Whoever controls the token endpoint controls the answers our quota logic trusts, so a customer may not pick it.
 */
export function checkTokenUri(input: string, options: { allowPrivate: boolean; sheetsBaseUrl: string }): UrlCheck {
  const check = checkWebhookUrl(input, { allowPrivate: options.allowPrivate });
  if (!check.ok) return check;
  const { url } = check;
  const isGoogle = url.protocol === 'https:' && url.port === '' && url.username === '' && url.password === '' && GOOGLE_TOKEN_HOSTS.includes(url.hostname);
  if (isGoogle || url.origin === new URL(options.sheetsBaseUrl).origin) return check;
  return { ok: false, reason: 'invalid_url', message: `must be Google's token endpoint, ${DEFAULT_TOKEN_URI}, as in the key file Google gave you` };
}

export type SheetsErrorKind =
  | 'bad_key' | 'blocked_token_uri' | 'not_shared' | 'api_disabled' | 'no_spreadsheet' | 'no_tab' | 'bad_request'
  | 'rate_limited' | 'server' | 'network' | 'timeout';

/** A Google call that did not succeed; `message` is plain words for the customer. */
export class SheetsApiError extends Error {
  readonly kind: SheetsErrorKind;
  /** Google's HTTP status, or null when no answer arrived (network, timeout): then the outcome is unknown. */
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(kind: SheetsErrorKind, message: string, status: number | null, retryAfterMs: number | null = null) {
    super(message);
    this.name = 'SheetsApiError';
    this.kind = kind;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Quotes a tab name for A1 notation: `'Leads 2026'!A1` (single quotes doubled). */
export function quoteTab(tab: string): string {
  return `'${tab.replaceAll("'", "''")}'`;
}

/**
 * Token buckets (one for reads, one for writes) plus a "quiet until" after a 429, per throttle key (one
 * customer's destination: `ServiceAccount.throttleKey`). In-process: several worker processes each keep their
 * own, and Google's 429 (with back-off) covers the rest.
 */
export class ServiceAccountThrottle {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly quietUntil = new Map<string, number>();
  private readonly perMinute: Record<'read' | 'write', number>;
  private readonly now: () => number;

  constructor(options: { writesPerMinute?: number; readsPerMinute?: number; now?: () => number } = {}) {
    this.perMinute = { write: options.writesPerMinute ?? SHEETS_WRITES_PER_MINUTE, read: options.readsPerMinute ?? SHEETS_READS_PER_MINUTE };
    this.now = options.now ?? Date.now;
  }

  private bucket(throttleKey: string, kind: 'read' | 'write'): { tokens: number; atMs: number } {
    const key = `${kind}:${throttleKey}`;
    const now = this.now();
    const intervalMs = 60_000 / this.perMinute[kind];
    const bucket = this.buckets.get(key) ?? { tokens: THROTTLE_BURST, atMs: now };
    bucket.tokens = Math.min(THROTTLE_BURST, bucket.tokens + (now - bucket.atMs) / intervalMs);
    bucket.atMs = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** Milliseconds until a call of this kind may be made under `throttleKey`. */
  delayFor(throttleKey: string, kind: 'read' | 'write'): number {
    const quiet = Math.max(0, (this.quietUntil.get(throttleKey) ?? 0) - this.now());
    const bucket = this.bucket(throttleKey, kind);
    const forToken = bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) * (60_000 / this.perMinute[kind]));
    return Math.max(quiet, forToken);
  }

  /** Waits for a slot, then takes it. */
  async acquire(throttleKey: string, kind: 'read' | 'write', signal?: AbortSignal): Promise<void> {
    for (;;) {
      const delay = this.delayFor(throttleKey, kind);
      if (delay <= 0) {
        this.bucket(throttleKey, kind).tokens -= 1;
        return;
      }
      await sleep(delay, undefined, signal ? { signal } : undefined);
    }
  }

  /** Google said 429: calls under this key wait `ms`. */
  backOff(throttleKey: string, ms: number): void {
    this.quietUntil.set(throttleKey, Math.max(this.quietUntil.get(throttleKey) ?? 0, this.now() + ms));
  }
}

export interface GoogleSheetsClientOptions {
  /** FC_GOOGLE_SHEETS_BASE_URL, e.g. https://sheets.googleapis.com */
  baseUrl: string;
  /** FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: the key file's token_uri is customer input and is guarded like a webhook URL. */
  allowPrivate: boolean;
  timeoutMs?: number;
  now?: () => number;
  throttle?: ServiceAccountThrottle;
}

export interface AppendResult {
  updatedRange: string | null;
  updatedRows: number;
}

export interface GoogleSheetsClient {
  readonly throttle: ServiceAccountThrottle;
  /** `checkTokenUri` against this client's Sheets origin and SSRF setting: what a key file's token_uri may be. */
  checkTokenUri(input: string): UrlCheck;
  /** An access token for the Sheets scope: cached per key until shortly before it expires. */
  getAccessToken(account: ServiceAccount, signal?: AbortSignal): Promise<string>;
  /** The spreadsheet's title and tab names (a read; appends nothing). */
  getSpreadsheet(account: ServiceAccount, spreadsheetId: string, signal?: AbortSignal): Promise<{ title: string; tabs: string[] }>;
  /** `values.get` of an A1 range. */
  getValues(account: ServiceAccount, spreadsheetId: string, range: string, options?: { byColumns?: boolean; signal?: AbortSignal }): Promise<unknown[][]>;
  /** `values.update` with RAW input (the header row). */
  updateValues(account: ServiceAccount, spreadsheetId: string, range: string, rows: unknown[][], signal?: AbortSignal): Promise<void>;
  /** `values.append` with RAW input and INSERT_ROWS: what a visitor typed is stored as text, never run as a formula. */
  appendRows(account: ServiceAccount, spreadsheetId: string, range: string, rows: unknown[][], signal?: AbortSignal): Promise<AppendResult>;
  close(): Promise<void>;
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** Parses a PEM private key; throws node's error when it is not one. */
export function parsePrivateKey(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' });
}

/** The signed RS256 assertion of the JWT bearer grant (RFC 7523) that Google's token endpoint takes. */
export function buildAssertion(account: ServiceAccount, key: KeyObject, nowMs: number): string {
  const iat = Math.floor(nowMs / 1_000);
  const header = { alg: 'RS256', typ: 'JWT', ...(account.privateKeyId ? { kid: account.privateKeyId } : {}) };
  const claims = { iss: account.clientEmail, scope: SHEETS_SCOPE, aud: account.tokenUri, iat, exp: iat + ASSERTION_LIFETIME_S };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
}

function excerpt(text: string): string {
  return text.length > ERROR_EXCERPT_CHARS ? `${text.slice(0, ERROR_EXCERPT_CHARS)}…` : text;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { raw: text };
  }
}

function googleMessage(body: unknown): string {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') return String((error as { message?: unknown }).message ?? '');
  if (typeof error === 'string') {
    const description = (body as { error_description?: unknown }).error_description;
    return typeof description === 'string' ? `${error}: ${description}` : error;
  }
  return excerpt(String((body as { raw?: unknown } | null)?.raw ?? ''));
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error.cause instanceof Error && error.cause.name === 'TimeoutError'));
}

/** Creates a client; one per process is enough (tokens and throttles are shared through it). */
export function createGoogleSheetsClient(options: GoogleSheetsClientOptions): GoogleSheetsClient {
  const timeoutMs = options.timeoutMs ?? SHEETS_REQUEST_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const throttle = options.throttle ?? new ServiceAccountThrottle({ now });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // The token endpoint comes from the customer's key file: its sockets resolve through the SSRF guard.
  const tokenAgent = new Agent({ connect: { lookup: createGuardedLookup({ allowPrivate: options.allowPrivate }) } });
  const apiAgent = new Agent({});
  const tokens = new Map<string, { token: string; expiresAtMs: number }>();
  const pendingTokens = new Map<string, Promise<string>>();
  const keys = new Map<string, KeyObject>();

  const checkTokenUriHere = (input: string): UrlCheck => checkTokenUri(input, { allowPrivate: options.allowPrivate, sheetsBaseUrl: baseUrl });
  const cacheKeyOf = (account: ServiceAccount): string =>
    createHash('sha256').update(`${account.clientEmail}\n${account.tokenUri}\n${account.privateKey}`).digest('base64url');

  function signal(caller: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(timeoutMs);
    return caller ? AbortSignal.any([caller, timeout]) : timeout;
  }

  function networkError(error: unknown, what: string): SheetsApiError {
    if (isTimeout(error)) return new SheetsApiError('timeout', `${what} did not answer within ${Math.round(timeoutMs / 1_000)} s.`, null);
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? '';
    if (code === 'ERR_FC_BLOCKED_ADDRESS') return new SheetsApiError('blocked_token_uri', `The key file's token_uri points at an address FusionChatalyst does not connect to.`, null);
    return new SheetsApiError('network', `Could not reach ${what}${code ? ` (${code})` : ''}.`, null);
  }

  async function exchangeToken(account: ServiceAccount, caller: AbortSignal | undefined): Promise<string> {
    // Checked again here, not only at save time: a row stored before the host rule must not be called either.
    const check = checkTokenUriHere(account.tokenUri);
    if (!check.ok) throw new SheetsApiError('blocked_token_uri', `The key file's token_uri ${check.message}. Upload the key file again.`, null);
    const cacheKey = cacheKeyOf(account);
    let key = keys.get(cacheKey);
    if (!key) {
      try {
        key = parsePrivateKey(account.privateKey);
      } catch {
        throw new SheetsApiError('bad_key', 'The private key in the service-account file cannot be read. Download a new JSON key and upload it again.', null);
      }
      keys.set(cacheKey, key);
    }
    const requestedAt = now();
    let response: Response;
    try {
      response = await fetch(check.url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: buildAssertion(account, key, requestedAt) }).toString(),
        dispatcher: tokenAgent,
        redirect: 'manual',
        signal: signal(caller),
      });
    } catch (error) {
      throw networkError(error, "Google's token endpoint");
    }
    const body = await readJson(response);
    if (response.status === 429) {
      const waitMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined) ?? RATE_LIMIT_DEFAULT_BACKOFF_MS;
      throttle.backOff(account.throttleKey, waitMs);
      throw new SheetsApiError('rate_limited', `Google's token endpoint is rate-limiting this service account (429); trying again in ${Math.ceil(waitMs / 1_000)} s.`, 429, waitMs);
    }
    if (response.status >= 500) throw new SheetsApiError('server', `Google's token endpoint answered ${response.status}; it will be tried again.`, response.status);
    const accessToken = (body as { access_token?: unknown }).access_token;
    if (!response.ok || typeof accessToken !== 'string') {
      throw new SheetsApiError('bad_key', `Google refused the service-account key (${googleMessage(body) || `HTTP ${response.status}`}). The key may have been deleted or the service account disabled: create a new JSON key for it and upload that.`, response.status);
    }
    const expiresInS = Number((body as { expires_in?: unknown }).expires_in);
    tokens.set(cacheKey, { token: accessToken, expiresAtMs: requestedAt + (Number.isFinite(expiresInS) ? expiresInS : ASSERTION_LIFETIME_S) * 1_000 });
    return accessToken;
  }

  async function getAccessToken(account: ServiceAccount, caller?: AbortSignal): Promise<string> {
    const cacheKey = cacheKeyOf(account);
    const cached = tokens.get(cacheKey);
    if (cached && cached.expiresAtMs - TOKEN_REFRESH_MARGIN_MS > now()) return cached.token;
    // Concurrent batches of one account share one exchange.
    let pending = pendingTokens.get(cacheKey);
    if (!pending) {
      pending = exchangeToken(account, caller).finally(() => pendingTokens.delete(cacheKey));
      pendingTokens.set(cacheKey, pending);
    }
    return pending;
  }

  function describeSheetsError(status: number, body: unknown, account: ServiceAccount, spreadsheetId: string, retryAfterMs: number | null): SheetsApiError {
    const message = googleMessage(body);
    if (status === 429) {
      const waitMs = retryAfterMs ?? RATE_LIMIT_DEFAULT_BACKOFF_MS;
      throttle.backOff(account.throttleKey, waitMs);
      return new SheetsApiError('rate_limited', `Google Sheets is rate-limiting this service account (429, about 60 writes a minute are allowed); trying again in ${Math.ceil(waitMs / 1_000)} s.`, 429, waitMs);
    }
    if (status === 403 && /has not been used|is disabled|SERVICE_DISABLED/i.test(message)) {
      return new SheetsApiError('api_disabled', `The Google Sheets API is not enabled for the service account's Google Cloud project. Enable it in the Google Cloud console (APIs & Services → Library → Google Sheets API), then try again.`, status);
    }
    if (status === 403) {
      return new SheetsApiError('not_shared', `The spreadsheet is not shared with the service account. Open the sheet, click Share and add ${account.clientEmail} as an Editor.`, status);
    }
    if (status === 404) {
      return new SheetsApiError('no_spreadsheet', `There is no spreadsheet with the id "${spreadsheetId}". Copy the id from the sheet's address: the long part between /d/ and /edit.`, status);
    }
    if (status === 400 && /parse range/i.test(message)) {
      return new SheetsApiError('no_tab', `The spreadsheet has no tab with that name (${message}). Check the tab name at the bottom of the sheet.`, status);
    }
    if (status >= 500) return new SheetsApiError('server', `Google Sheets answered ${status}; it will be tried again.`, status, retryAfterMs);
    return new SheetsApiError('bad_request', `Google Sheets refused the request (${status}${message ? `: ${message}` : ''}).`, status);
  }

  async function call(account: ServiceAccount, kind: 'read' | 'write', spreadsheetId: string, method: 'GET' | 'POST' | 'PUT', path: string, body: unknown, caller?: AbortSignal): Promise<unknown> {
    await throttle.acquire(account.throttleKey, kind, caller);
    for (let attempt = 1; ; attempt += 1) {
      const token = await getAccessToken(account, caller);
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          dispatcher: apiAgent,
          redirect: 'manual',
          signal: signal(caller),
        });
      } catch (error) {
        throw networkError(error, 'Google Sheets');
      }
      const parsed = await readJson(response);
      if (response.ok) return parsed;
      // A token Google no longer accepts (revoked, clock skew): drop it and try once with a fresh one.
      if (response.status === 401 && attempt === 1) {
        tokens.delete(cacheKeyOf(account));
        continue;
      }
      throw describeSheetsError(response.status, parsed, account, spreadsheetId, parseRetryAfter(response.headers.get('retry-after') ?? undefined));
    }
  }

  const valuesPath = (spreadsheetId: string, range: string): string =>
    `/v4/spreadsheets/${encodeURIComponent(spreadsheetId)}/values/${encodeURIComponent(range)}`;

  return {
    throttle,
    checkTokenUri: checkTokenUriHere,
    getAccessToken,
    async getSpreadsheet(account, spreadsheetId, caller) {
      const body = await call(account, 'read', spreadsheetId, 'GET', `/v4/spreadsheets/${encodeURIComponent(spreadsheetId)}?fields=${encodeURIComponent('properties.title,sheets.properties.title')}`, undefined, caller) as {
        properties?: { title?: string }; sheets?: { properties?: { title?: string } }[];
      };
      return { title: body.properties?.title ?? '', tabs: (body.sheets ?? []).map((sheet) => sheet.properties?.title ?? '').filter((title) => title !== '') };
    },
    async getValues(account, spreadsheetId, range, { byColumns = false, signal: caller } = {}) {
      const query = byColumns ? '?majorDimension=COLUMNS' : '';
      const body = await call(account, 'read', spreadsheetId, 'GET', `${valuesPath(spreadsheetId, range)}${query}`, undefined, caller) as { values?: unknown[][] };
      return body.values ?? [];
    },
    async updateValues(account, spreadsheetId, range, rows, caller) {
      await call(account, 'write', spreadsheetId, 'PUT', `${valuesPath(spreadsheetId, range)}?valueInputOption=RAW`, { range, majorDimension: 'ROWS', values: rows }, caller);
    },
    async appendRows(account, spreadsheetId, range, rows, caller) {
      const body = await call(account, 'write', spreadsheetId, 'POST', `${valuesPath(spreadsheetId, range)}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS`, { range, majorDimension: 'ROWS', values: rows }, caller) as {
        updates?: { updatedRange?: string; updatedRows?: number };
      };
      return { updatedRange: body.updates?.updatedRange ?? null, updatedRows: body.updates?.updatedRows ?? rows.length };
    },
    async close() {
      await Promise.all([tokenAgent.close(), apiAgent.close()]);
    },
  };
}
