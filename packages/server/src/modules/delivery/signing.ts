import { createHmac, randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors.js';

/**
 * Standard Webhooks v1 signing (https://www.standardwebhooks.com/): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}`, base64, prefixed `v1,`. Pure: no clock, no storage.
 */

export type SigningMode = 'shared-secret' | 'hmac-sha256';
export const SIGNING_MODES: readonly SigningMode[] = ['shared-secret', 'hmac-sha256'];

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const GENERATED_SECRET_BYTES = 32;
// The Standard Webhooks spec asks for 24–64 random bytes; we still accept shorter typed secrets because
// the product page lets customers paste whatever their receiver already checks, but not trivially short.
const TYPED_SECRET_MIN_CHARS = 8;
const SECRET_MAX_CHARS = 256;
const GENERATED_SECRET_MIN_BYTES = 16;
// Visible ASCII only: in shared-secret mode the secret travels verbatim in a header, so it must be a legal
// header value, and raw-secret bytes are then identical in UTF-8 and Latin-1 (what most verifiers use).
const TYPED_SECRET_PATTERN = /^[\x21-\x7e]+$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'X-FC-Signature': string;
}

export interface SignInput {
  /** Active secrets, current one first. During a rotation the previous secret follows for 24 h. */
  secrets: readonly string[];
  /** The `webhook-id`: stable across retries and replays of one delivery. */
  id: string;
  /** Unix seconds of this attempt (not of the event), so receivers' 5-minute tolerance holds on retries. */
  timestamp: number;
  /** The exact bytes that go on the wire. */
  body: string | Uint8Array;
}

/** Generates a new webhook secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');
}

/** True when the secret is in the generated `whsec_<base64>` form (its key is the decoded bytes). */
export function isEncodedSecret(secret: string): boolean {
  return secret.startsWith(WEBHOOK_SECRET_PREFIX);
}

/**
 * The HMAC key bytes for a secret: a `whsec_` secret is base64-decoded after the prefix (what every
 * Standard Webhooks library does with it); a secret the customer typed is used as its raw UTF-8 bytes.
 */
export function decodeSecretKey(secret: string): Buffer {
  if (isEncodedSecret(secret)) {
    const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
    if (!BASE64_PATTERN.test(encoded)) throw new Error('webhook secret after "whsec_" is not valid base64');
    const key = Buffer.from(encoded, 'base64');
    if (key.length === 0) throw new Error('webhook secret is empty');
    return key;
  }
  if (secret.length === 0) throw new Error('webhook secret is empty');
  return Buffer.from(secret, 'utf8');
}

/** Checks a secret a customer supplies (typed, or pasted `whsec_…`); returns it unchanged or throws `validation_failed`. */
export function validateWebhookSecret(input: unknown, field = 'secret'): string {
  const fail = (message: string): never => {
    throw new AppError('validation_failed', 'The webhook secret is not usable', [{ field, message }]);
  };
  if (typeof input !== 'string') return fail('must be a string');
  if (input.length > SECRET_MAX_CHARS) return fail(`must be at most ${SECRET_MAX_CHARS} characters`);
  if (!TYPED_SECRET_PATTERN.test(input)) return fail('may contain only visible ASCII characters (no spaces or line breaks)');
  if (isEncodedSecret(input)) {
    const encoded = input.slice(WEBHOOK_SECRET_PREFIX.length);
    if (!BASE64_PATTERN.test(encoded)) return fail('a secret starting with "whsec_" must continue with base64');
    if (Buffer.from(encoded, 'base64').length < GENERATED_SECRET_MIN_BYTES) {
      return fail(`a "whsec_" secret must encode at least ${GENERATED_SECRET_MIN_BYTES} bytes`);
    }
    return input;
  }
  if (input.length < TYPED_SECRET_MIN_CHARS) return fail(`must be at least ${TYPED_SECRET_MIN_CHARS} characters`);
  return input;
}

/** The `webhook-signature` value: one `v1,<base64>` per active secret, space-separated (current first). */
export function signPayload(input: SignInput): string {
  if (input.secrets.length === 0) throw new Error('signPayload needs at least one secret');
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new Error('webhook timestamp must be whole unix seconds');
  }
  if (input.id === '') throw new Error('webhook-id must not be empty');
  const prefix = Buffer.from(`${input.id}.${input.timestamp}.`, 'utf8');
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const unique = [...new Set(input.secrets)];
  return unique
    .map((secret) => {
      const mac = createHmac('sha256', decodeSecretKey(secret)).update(prefix).update(body).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}

/**
 * All signature headers of one attempt. The Standard Webhooks headers are sent in both modes; only
 * `X-FC-Signature` differs: the configured (current) secret verbatim in `shared-secret` mode — the product
 * page's promise — and the same value as `webhook-signature` in `hmac-sha256` mode.
 */
export function buildSignatureHeaders(mode: SigningMode, input: SignInput): SignatureHeaders {
  const signature = signPayload(input);
  const current = input.secrets[0] as string;
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signature,
    'X-FC-Signature': mode === 'shared-secret' ? current : signature,
  };
}
