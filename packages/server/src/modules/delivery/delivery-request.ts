import { AppError } from '../../lib/errors.js';
import type { FieldError } from '../../lib/errors.js';
import { buildEnvelope, encodeBody, renderPayload } from './mapping.js';
import type { BodyFormat, EventContext, EventType, Mappings } from './mapping.js';
import { buildSignatureHeaders } from './signing.js';
import type { SigningMode } from './signing.js';

/**
 * Assembles one attempt of a delivery: mapped payload → envelope → body bytes → signature over exactly
 * those bytes → headers. Doing it in one place keeps the signed body and the sent body the same bytes.
 */

export const USER_AGENT = 'FusionChatalyst-Webhooks/1.0 (+https://fusionchatalyst.com)';
export const CUSTOM_HEADERS_MAX = 20;
const HEADER_NAME_MAX_CHARS = 64;
const HEADER_VALUE_MAX_CHARS = 2_048;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space and tab only. CR/LF would let a value inject headers; anything else (accents, emoji,
// a no-break space, DEL) is refused by the HTTP client at send time, so every delivery would fail: refuse it
// when the webhook is saved instead, with the header named.
const HEADER_VALUE_PATTERN = /^[\t\x20-\x7e]*$/;

// Headers a customer may not set: framing and routing (the connection was checked for one host; a custom
// Host or Content-Length would desynchronise it) and everything we sign or promise in the contract.
const RESERVED_HEADER_NAMES = new Set([
  'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te',
  'trailer', 'expect', 'proxy-authorization', 'proxy-connection', 'http2-settings',
]);
const RESERVED_HEADER_PREFIXES = ['x-fc-', 'webhook-', 'proxy-', ':'];
const REDACTED = '[redacted]';
// Headers whose values FusionChatalyst itself sets and that carry no secret: the only values the delivery
// log shows. X-FC-Signature is not here (in shared-secret mode it is the secret); ':method'/':path' are the
// Google Sheets sender's request line.
const LOGGED_HEADER_NAMES = new Set(['content-type', 'x-fc-event', 'x-fc-delivery', 'webhook-id', 'webhook-timestamp', 'webhook-signature', ':method', ':path']);

function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADER_NAMES.has(lower) || RESERVED_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** Validates a webhook's custom headers; returns them trimmed or throws `validation_failed` naming each bad header. */
export function validateCustomHeaders(input: unknown, field = 'headers'): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new AppError('validation_failed', 'Custom headers are not valid', [{ field, message: 'must be an object of header name → value' }]);
  }
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > CUSTOM_HEADERS_MAX) {
    throw new AppError('validation_failed', 'Custom headers are not valid', [{ field, message: `at most ${CUSTOM_HEADERS_MAX} headers` }]);
  }
  const errors: FieldError[] = [];
  const result: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const at = `${field}[${JSON.stringify(name)}]`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME_PATTERN.test(name) || name.length > HEADER_NAME_MAX_CHARS) {
      errors.push({ field: at, message: `must be a header name of letters, digits and - (at most ${HEADER_NAME_MAX_CHARS} characters)` });
    } else if (isReservedHeader(name)) {
      errors.push({ field: at, message: `"${name}" is set by FusionChatalyst and cannot be overridden` });
    } else if (seen.has(lower)) {
      errors.push({ field: at, message: `"${name}" is listed twice` });
    } else if (typeof value !== 'string') {
      errors.push({ field: at, message: 'must be a string' });
    } else if (value.length > HEADER_VALUE_MAX_CHARS || !HEADER_VALUE_PATTERN.test(value)) {
      errors.push({ field: at, message: `must be at most ${HEADER_VALUE_MAX_CHARS} visible ASCII characters (letters, digits, punctuation, spaces) with no line breaks, accents or emoji` });
    } else {
      seen.add(lower);
      result[name] = value.trim();
    }
  }
  if (errors.length > 0) throw new AppError('validation_failed', 'Custom headers are not valid', errors);
  return result;
}

function isLoggedInClear(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  // A customer's own User-Agent is one of their custom headers; ours is public.
  if (lower === 'user-agent') return value === USER_AGENT;
  return LOGGED_HEADER_NAMES.has(lower);
}

/**
 * Copies request headers for the delivery log. Only the values FusionChatalyst sets itself are kept; every
 * custom header value is replaced, whatever its name (an `X-Client-Id` or `X-Hub` is as private to the customer
 * as an `Authorization`), and so is X-FC-Signature. Idempotent, so it also masks attempts logged before this rule.
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isLoggedInClear(name, value) ? value : REDACTED]));
}

export interface DeliveryWebhook {
  url: string;
  signingMode: SigningMode;
  /** Active secrets, current first (the previous one follows during a 24 h rotation). */
  secrets: readonly string[];
  bodyFormat: BodyFormat;
  mappings: Mappings | null;
  headers?: Record<string, string>;
}

export interface DeliveryEvent {
  id: string;
  type: EventType;
  /** When the event happened (stored ISO timestamp, Date or epoch ms): the envelope's eventTimestamp. */
  occurredAt: string | Date | number;
  context: EventContext;
}

export interface BuildDeliveryRequestInput {
  webhook: DeliveryWebhook;
  event: DeliveryEvent;
  /** `dlv_…`: sent as X-FC-Delivery and webhook-id, the same on every retry and replay of this delivery. */
  deliveryId: string;
  /** Time of this attempt (epoch ms); the signature timestamp must be fresh on every retry. */
  now: number;
}

export interface DeliveryRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** The payload as sent, for samples and the delivery log. */
  payload: Record<string, unknown>;
}

/** Builds the signed HTTP request of one delivery attempt. */
export function buildDeliveryRequest(input: BuildDeliveryRequestInput): DeliveryRequest {
  const { webhook, event } = input;
  const mapped = renderPayload(event.type, event.context, webhook.mappings);
  const payload = buildEnvelope(mapped, {
    eventType: event.type,
    eventId: event.id,
    occurredAt: event.occurredAt,
    customerId: event.context.customer.id,
    chatbotId: event.context.chatbot.id,
    conversationId: event.context.conversation?.id ?? null,
  });
  const { contentType, body } = encodeBody(payload, webhook.bodyFormat);
  const signatureHeaders = buildSignatureHeaders(webhook.signingMode, {
    secrets: webhook.secrets,
    id: input.deliveryId,
    timestamp: Math.floor(input.now / 1_000),
    body,
  });
  // Reserved names are dropped case-insensitively even though validation refuses them: a header stored
  // before a rule change must never replace or duplicate a signature or framing header.
  const custom = Object.entries(webhook.headers ?? {}).filter(([name]) => !isReservedHeader(name));
  const hasUserAgent = custom.some(([name]) => name.toLowerCase() === 'user-agent');
  const headers: Record<string, string> = {
    ...(hasUserAgent ? {} : { 'User-Agent': USER_AGENT }),
    ...Object.fromEntries(custom),
    'Content-Type': contentType,
    'X-FC-Event': event.type,
    'X-FC-Delivery': input.deliveryId,
    ...signatureHeaders,
  };
  return { url: webhook.url, method: 'POST', headers, body, payload };
}
