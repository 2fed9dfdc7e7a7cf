/**
 * The one way the portal talks to the API: same-origin JSON over the session cookie. Cookie-authenticated
 * writes must carry the session's CSRF token (from signup, login or /me), so it is kept here and sent on
 * every non-GET request.
 */

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem answered by the API (or a network failure dressed as one). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fieldErrors: FieldError[];

  constructor(status: number, code: string, detail: string, fieldErrors: FieldError[] = []) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
}

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Remembers the CSRF token of the current session (null after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The current session's CSRF token, for requests made outside `api` (the Developers page's "Try it out"). */
export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called whenever the API answers 401 outside the login flow: the session has ended. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const PLAIN_WORDS: Record<number, string> = {
  401: 'Please log in again.',
  403: 'You are not allowed to do that.',
  404: 'That item no longer exists.',
  413: 'That is too large to upload.',
  429: 'Too many requests. Wait a moment and try again.',
  500: 'Something went wrong on our side. Please try again.',
  502: 'The server is not reachable right now. Please try again.',
  503: 'The service is temporarily unavailable. Please try again shortly.',
};

interface ProblemLike {
  detail?: unknown;
  title?: unknown;
  code?: unknown;
  errors?: unknown;
}

async function toApiError(response: Response): Promise<ApiError> {
  let problem: ProblemLike = {};
  try {
    const parsed: unknown = await response.json();
    if (parsed && typeof parsed === 'object') problem = parsed as ProblemLike;
  } catch {
    // Not JSON (a proxy's HTML error page): fall back to plain words for the status.
  }
  const detail = typeof problem.detail === 'string' && problem.detail !== '' && response.status < 500
    ? problem.detail
    : PLAIN_WORDS[response.status] ?? `The request failed (${response.status}).`;
  const fieldErrors = Array.isArray(problem.errors)
    ? problem.errors.filter((e): e is FieldError => typeof e === 'object' && e !== null && typeof (e as FieldError).field === 'string')
    : [];
  return new ApiError(response.status, typeof problem.code === 'string' ? problem.code : 'http_error', detail, fieldErrors);
}

export interface RequestOptions {
  /** Raw body (e.g. CSV text) instead of JSON. */
  rawBody?: string;
  /** A multipart upload (the browser sets its Content-Type with the boundary). */
  formData?: FormData;
  contentType?: string;
  signal?: AbortSignal;
  /** Do not treat a 401 as "session ended" (login form, session probe). */
  quietUnauthorized?: boolean;
  /** Set on the one automatic retry after a stale CSRF token. */
  isRetry?: boolean;
  /** Sent as `Idempotency-Key` on creates (lib/idempotency.ts): a repeat answers the first response. */
  idempotencyKey?: string;
}

/** Sends one request to the API; resolves with the JSON body (undefined for 204) or rejects with an ApiError. */
export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | FormData | undefined;
  if (options.formData !== undefined) {
    payload = options.formData;
  } else if (options.rawBody !== undefined) {
    payload = options.rawBody;
    headers['content-type'] = options.contentType ?? 'text/plain';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;

  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
  }
  if (!response.ok) {
    const error = await toApiError(response);
    // A token from before a re-login in another tab: fetch the session's current one and try once more.
    if (error.code === 'csrf_failed' && !options.isRetry) {
      const session = await fetch('/api/portal/me', { credentials: 'same-origin', headers: { accept: 'application/json' } }).catch(() => null);
      if (session?.ok) {
        setCsrfToken(((await session.json()) as { csrfToken: string | null }).csrfToken);
        return request<T>(method, path, body, { ...options, isRetry: true });
      }
      // An unread body keeps the request open in the browser (no-store answers are not drained into the cache).
      await session?.body?.cancel();
    }
    if (response.status === 401 && !options.quietUnauthorized) for (const listener of unauthorizedListeners) listener();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: (path: string) => request<void>('DELETE', path),
  /** Uploads one file as multipart/form-data in the field `file`. */
  upload: <T>(path: string, file: File) => {
    const formData = new FormData();
    formData.append('file', file, file.name);
    return request<T>('POST', path, undefined, { formData });
  },
};

/** Builds a query string from the defined, non-empty values. */
export function toQuery(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Turns any thrown value into words a customer can read. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/** Maps API field errors (`body.settings.greeting`, `body.url`) to a form's field names. */
export function fieldErrorsFor(error: unknown, prefix = 'body.'): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const fe of error.fieldErrors) {
    const key = fe.field.startsWith(prefix) ? fe.field.slice(prefix.length) : fe.field;
    out[key] ??= fe.message;
  }
  return out;
}
