import type { EventContext as StoredEventContext } from '@fc/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import {
  assertResolvesPublic, buildEnvelope, buildSampleEventContext, DEFAULT_MAPPINGS, encodeBody, EVENT_TYPES, generateWebhookSecret,
  redactHeaders, renderPayload, validateCustomHeaders, validateMappings, validateWebhookSecret, validateWebhookUrl,
  type BodyFormat, type EventType, type Mappings, type ResolveAllFn, type SigningMode, type WebhookSender,
} from '../delivery/index.js';
import { appendEvent, wakeDeliveryWorkers } from '../events/events.service.js';
import { findDelivery, listAttempts, requeueDelivery, requeueFailedSince, scheduleUnfinishedNow, type DeliveryRow, type RetryNowResult } from './deliveries.repository.js';
import { attemptDelivery, toDeliveryContext, type AttemptDeps, type AttemptLog, type AttemptSummary } from './delivery-attempt.service.js';
import { findPreset } from './presets.js';
import {
  ALL_DESTINATION_KINDS, countUnfinishedByWebhook, findWebhook, openWebhookSecrets, readWebhookSettings, sealWebhookHeaders, sealWebhookSecret, SECRET_OVERLAP_MS,
  type WebhookRow,
} from './webhooks.repository.js';
import type { CreateWebhookInput, UpdateWebhookInput, WebhookView } from './webhooks.schemas.js';
import { isSameHost } from '../../lib/urls.js';

/** What the webhook service needs besides the database. */
export interface WebhookServiceDeps {
  db: Kysely<Database>;
  secretKey: Buffer;
  allowPrivate: boolean;
  /** The sender "Send test" uses (the app's own, closed with it). */
  sender: WebhookSender;
  schedule: readonly number[] | undefined;
  log: AttemptLog;
  /** DNS override for the save-time check (tests). */
  resolve?: ResolveAllFn;
  /** Senders of non-HTTP kinds for a test delivery (Google Sheets' "Send test row"). */
  destinations?: AttemptDeps['destinations'];
}

/** A secret's hint shows at most its last characters, and none of a short secret (typed secrets can be short). */
const SECRET_HINT_CHARS = 4;
const SECRET_HINT_MIN_LENGTH = 16;
const TEST_LEASE_MS = 60_000;
const NONE_UNFINISHED = { pending: 0, retrying: 0 } as const;
const SUBSCRIBABLE_EVENTS = EVENT_TYPES.filter((type) => type !== 'webhook.test');

function hintOf(secret: string): string {
  return secret.length >= SECRET_HINT_MIN_LENGTH ? `…${secret.slice(-SECRET_HINT_CHARS)}` : '…';
}

/** The portal's view of a webhook: never the secret itself, and credential header values masked. */
export function toWebhookView(deps: Pick<WebhookServiceDeps, 'secretKey'>, row: WebhookRow, unfinished: { pending: number; retrying: number }): WebhookView {
  const settings = readWebhookSettings(row);
  const now = nowIso();
  const { secrets, headers } = openWebhookSecrets(deps.secretKey, row, now);
  return {
    id: row.id,
    url: settings.url,
    events: settings.events,
    chatbotId: settings.chatbotId,
    signingMode: settings.signingMode,
    mappings: settings.mappings as WebhookView['mappings'],
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, maskHeaderValue(value)])),
    bodyFormat: settings.bodyFormat,
    preset: settings.preset,
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    disabledAt: toWireTime(row.disabled_at),
    secretHint: hintOf(secrets[0] ?? ''),
    previousSecretExpiresAt: row.previous_secret_expires_at && row.previous_secret_expires_at > now ? toWireTime(row.previous_secret_expires_at) : null,
    health: { lastSuccessAt: toWireTime(row.last_success_at), lastFailureAt: toWireTime(row.last_failure_at), failingSince: toWireTime(row.failing_since), pending: unfinished.pending, retrying: unfinished.retrying },
    createdAt: toWireTime(row.created_at),
    updatedAt: toWireTime(row.updated_at),
  };
}

// Custom headers often carry CRM tokens: the portal shows that a value is set, not the value.
function maskHeaderValue(value: string): string {
  return value.length <= 4 ? '••••' : `${value.slice(0, 2)}••••${value.slice(-2)}`;
}

async function checkUrl(deps: WebhookServiceDeps, input: string): Promise<string> {
  const url = validateWebhookUrl(input, { allowPrivate: deps.allowPrivate });
  if (!deps.allowPrivate) await assertResolvesPublic(new URL(url).hostname, { resolve: deps.resolve });
  return url;
}

function checkEvents(events: readonly string[]): string[] {
  const unknown = events.filter((event) => !(SUBSCRIBABLE_EVENTS as readonly string[]).includes(event));
  if (unknown.length > 0) {
    throw new AppError('validation_failed', 'Unknown event types', [{ field: 'events', message: `unknown: ${unknown.join(', ')}; choose from ${SUBSCRIBABLE_EVENTS.join(', ')}` }]);
  }
  return [...new Set(events)];
}

async function checkChatbot(db: Kysely<Database>, customerId: string, chatbotId: string | null | undefined): Promise<string | null> {
  if (chatbotId === null || chatbotId === undefined) return null;
  const row = await db.selectFrom('chatbots').select('id').where('customer_id', '=', customerId).where('id', '=', chatbotId).executeTakeFirst();
  if (!row) throw new AppError('validation_failed', 'Unknown chatbot', [{ field: 'chatbotId', message: 'no chatbot with this id in your account' }]);
  return row.id;
}

/** Lists a customer's webhooks, newest first, each with its health. */
export async function listWebhooks(deps: WebhookServiceDeps, customerId: string, page: { limit: number; cursor?: string | undefined }): Promise<{ items: WebhookView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(page.cursor);
  let query = deps.db.selectFrom('webhooks').selectAll().where('customer_id', '=', customerId).where('kind', '=', 'webhook');
  if (cursor) query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
  const unfinished = await countUnfinishedByWebhook(deps.db, customerId, rows.map((r) => r.id));
  return toPage(rows, page.limit, (row) => toWebhookView(deps, row, unfinished.get(row.id) ?? NONE_UNFINISHED));
}

/** One webhook with its health. */
export async function getWebhook(deps: WebhookServiceDeps, customerId: string, webhookId: string): Promise<WebhookView> {
  const row = assertFound(await findWebhook(deps.db, customerId, webhookId), 'Webhook');
  const unfinished = await countUnfinishedByWebhook(deps.db, customerId, [row.id]);
  return toWebhookView(deps, row, unfinished.get(row.id) ?? NONE_UNFINISHED);
}

/** Creates a webhook; the answer carries the full secret, the only time it is shown. */
export async function createWebhook(deps: WebhookServiceDeps, customerId: string, input: CreateWebhookInput): Promise<WebhookView & { secret: string }> {
  const preset = input.preset ? findPreset(input.preset) : undefined;
  const url = await checkUrl(deps, input.url);
  const events = checkEvents(input.events);
  const chatbotId = await checkChatbot(deps.db, customerId, input.chatbotId);
  const signingMode: SigningMode = input.signingMode ?? 'hmac-sha256';
  const secret = input.secret === undefined ? generateWebhookSecret() : validateWebhookSecret(input.secret);
  const presetMappings = preset && Object.keys(preset.mappings).length > 0 ? preset.mappings : undefined;
  const mappings: Mappings = input.mappings === undefined ? (presetMappings ?? { ...DEFAULT_MAPPINGS }) : validateMappings(input.mappings);
  const headers = validateCustomHeaders(input.headers ?? {});
  const bodyFormat: BodyFormat = input.bodyFormat ?? preset?.bodyFormat ?? 'json';
  const id = newId('wh');
  const now = nowIso();
  await deps.db.insertInto('webhooks').values({
    id, customer_id: customerId, chatbot_id: chatbotId, kind: 'webhook', name: null, url, events: JSON.stringify(events), signing_mode: signingMode,
    secret_sealed: sealWebhookSecret(deps.secretKey, id, secret), previous_secret_sealed: null, previous_secret_expires_at: null,
    mappings: JSON.stringify(mappings), headers_sealed: sealWebhookHeaders(deps.secretKey, id, headers), body_format: bodyFormat,
    preset: preset?.id ?? null, enabled: 1, disabled_reason: null, disabled_at: null, failing_since: null, last_success_at: null,
    last_failure_at: null, created_at: now, updated_at: now,
  }).execute();
  return { ...(await getWebhook(deps, customerId, id)), secret };
}

/** Changes a webhook; re-enabling clears the reason it was disabled and its failure streak. */
export async function updateWebhook(deps: WebhookServiceDeps, customerId: string, webhookId: string, input: UpdateWebhookInput): Promise<WebhookView> {
  const row = assertFound(await findWebhook(deps.db, customerId, webhookId), 'Webhook');
  const now = nowIso();
  const changes: Partial<WebhookRow> = { updated_at: now };
  if (input.url !== undefined) changes.url = await checkUrl(deps, input.url);
  if (input.events !== undefined) changes.events = JSON.stringify(checkEvents(input.events));
  if (input.chatbotId !== undefined) changes.chatbot_id = await checkChatbot(deps.db, customerId, input.chatbotId);
  if (input.signingMode !== undefined) changes.signing_mode = input.signingMode;
  if (input.mappings !== undefined) changes.mappings = JSON.stringify(validateMappings(input.mappings));
  if (input.bodyFormat !== undefined) changes.body_format = input.bodyFormat;
  if (input.headers !== undefined) changes.headers_sealed = sealWebhookHeaders(deps.secretKey, row.id, validateCustomHeaders(input.headers));
  // Stored custom headers (CRM tokens) are bound to their destination: a new host gets them only if they are
  // entered again in the same request, so nobody who may edit a webhook can redirect someone's token to themselves.
  else if (changes.url !== undefined && !isSameHost(changes.url, row.url)) changes.headers_sealed = sealWebhookHeaders(deps.secretKey, row.id, {});
  if (input.enabled === true && row.enabled === 0) Object.assign(changes, { enabled: 1, disabled_reason: null, disabled_at: null, failing_since: null });
  if (input.enabled === false && row.enabled === 1) Object.assign(changes, { enabled: 0, disabled_reason: 'Disabled by you.', disabled_at: now });
  await deps.db.updateTable('webhooks').set(changes).where('customer_id', '=', customerId).where('id', '=', row.id).execute();
  return getWebhook(deps, customerId, row.id);
}

/** Deletes a webhook and its delivery log. */
export async function deleteWebhook(db: Kysely<Database>, customerId: string, webhookId: string): Promise<void> {
  const result = await db.deleteFrom('webhooks').where('customer_id', '=', customerId).where('id', '=', webhookId).where('kind', '=', 'webhook').executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new AppError('not_found', 'Webhook not found');
}

/**
 * Replaces the secret (a typed one, or a new generated one). The old secret keeps signing alongside the new
 * one for 24 hours, so a receiver can switch over without rejecting a single delivery.
 */
export async function rotateWebhookSecret(deps: WebhookServiceDeps, customerId: string, webhookId: string, typed: string | undefined): Promise<{ secret: string; previousSecretExpiresAt: string }> {
  const row = assertFound(await findWebhook(deps.db, customerId, webhookId), 'Webhook');
  const now = nowIso();
  const secret = typed === undefined ? generateWebhookSecret() : validateWebhookSecret(typed);
  const [current] = openWebhookSecrets(deps.secretKey, row, now).secrets;
  const expiresAt = addMs(now, SECRET_OVERLAP_MS);
  await deps.db.updateTable('webhooks').set({
    secret_sealed: sealWebhookSecret(deps.secretKey, row.id, secret),
    previous_secret_sealed: current === undefined ? null : sealWebhookSecret(deps.secretKey, row.id, current, 'previous_secret'),
    previous_secret_expires_at: expiresAt,
    updated_at: now,
  }).where('id', '=', row.id).execute();
  return { secret, previousSecretExpiresAt: toWireTime(expiresAt) };
}

async function testContext(db: Kysely<Database>, customerId: string, chatbotId: string | null): Promise<StoredEventContext> {
  const customer = await db.selectFrom('customers').select(['id', 'name']).where('id', '=', customerId).executeTakeFirstOrThrow();
  let bot = db.selectFrom('chatbots').select(['id', 'name']).where('customer_id', '=', customerId);
  if (chatbotId) bot = bot.where('id', '=', chatbotId);
  const chatbot = await bot.orderBy('created_at').executeTakeFirst();
  const sample = buildSampleEventContext({ customer, chatbot: chatbot ?? undefined });
  return {
    ...sample,
    customer,
    conversation: sample.conversation ? { ...sample.conversation, transcript: [...sample.conversation.transcript] } : undefined,
    visitor: sample.visitor ?? undefined,
    lead: sample.lead ?? undefined,
    escalation: sample.escalation ?? undefined,
    rating: sample.rating ?? undefined,
    satisfaction: sample.satisfaction ?? undefined,
  };
}

/**
 * "Send test": a `webhook.test` event with a realistic sample, delivered once, now, to this webhook only (even
 * a disabled one), and logged like any delivery. Answers what happened. `kinds` lets Google Sheets' "Send test
 * row" reuse it (its deps then carry the sheets sender).
 */
export async function sendTestDelivery(
  deps: WebhookServiceDeps, customerId: string, webhookId: string, kinds: readonly WebhookRow['kind'][] = ['webhook'],
): Promise<AttemptSummary & { deliveryId: string }> {
  const row = assertFound(await findWebhook(deps.db, customerId, webhookId, kinds), kinds.includes('webhook') ? 'Webhook' : 'Google Sheets destination');
  const context = await testContext(deps.db, customerId, row.chatbot_id);
  const owner = `portal-test:${newId('dlv')}`;
  const now = nowIso();
  const { eventId, deliveryIds } = await deps.db.transaction().execute((trx) => appendEvent(trx, {
    customerId, chatbotId: context.chatbot?.id ?? null, conversationId: context.conversation?.id ?? null, type: 'webhook.test', context,
  }, { webhookId: row.id, retryLimit: 1, lease: { owner, until: addMs(now, TEST_LEASE_MS) } }));
  const deliveryId = deliveryIds[0] as string;
  const delivery = assertFound(await findDelivery(deps.db, customerId, deliveryId), 'Delivery');
  const event = await deps.db.selectFrom('events').select(['id', 'type', 'payload', 'created_at']).where('id', '=', eventId).executeTakeFirstOrThrow();
  const summary = await attemptDelivery(deps, { delivery, webhook: row, event }, owner);
  if (!summary) throw new AppError('internal', 'The test delivery could not be prepared.');
  return { deliveryId, ...summary };
}

/** Renders what a webhook would receive for an event type: from the customer's latest real event of that type, or a sample. */
export async function previewPayload(
  db: Kysely<Database>, customerId: string, input: { eventType: EventType; mappings?: unknown; bodyFormat?: BodyFormat; chatbotId?: string | null },
): Promise<{ payload: Record<string, unknown>; body: string; contentType: string; fromEventId: string | null }> {
  const mappings = input.mappings === undefined ? null : validateMappings(input.mappings);
  let query = db.selectFrom('events').select(['id', 'payload', 'created_at', 'chatbot_id', 'conversation_id'])
    .where('customer_id', '=', customerId).where('type', '=', input.eventType);
  if (input.chatbotId) query = query.where('chatbot_id', '=', input.chatbotId);
  const latest = await query.orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  const stored = latest ? JSON.parse(latest.payload) as StoredEventContext : await testContext(db, customerId, input.chatbotId ?? null);
  const rendered = renderEventBody(input.eventType, { id: latest?.id ?? 'evt_preview', createdAt: latest?.created_at ?? nowIso(), customerId, stored }, mappings, input.bodyFormat ?? 'json');
  return { ...rendered, fromEventId: latest?.id ?? null };
}

/** The payload and body an event renders to under some mappings (signature headers aside). */
function renderEventBody(
  eventType: EventType, event: { id: string; createdAt: string; customerId: string; stored: StoredEventContext }, mappings: Mappings | null, bodyFormat: BodyFormat,
): { payload: Record<string, unknown>; body: string; contentType: string } {
  const context = toDeliveryContext(event.stored);
  const payload = buildEnvelope(renderPayload(eventType, context, mappings), {
    eventType, eventId: event.id, occurredAt: event.createdAt, customerId: event.customerId, chatbotId: context.chatbot.id, conversationId: context.conversation?.id ?? null,
  });
  return { payload, ...encodeBody(payload, bodyFormat) };
}

export interface DeliveryItem {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryRow['status'];
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** Wire shape of a delivery (contract section 6). */
export function toDeliveryItem(row: DeliveryRow): DeliveryItem {
  return {
    id: row.id, webhookId: row.webhook_id, eventId: row.event_id, eventType: row.event_type, status: row.status, attempts: row.attempts,
    lastStatusCode: row.last_status_code, lastError: row.last_error, nextAttemptAt: toWireTime(row.next_attempt_at),
    createdAt: toWireTime(row.created_at), completedAt: toWireTime(row.completed_at),
  };
}

/** A webhook's delivery log, newest first, optionally by status and event type. */
export async function listDeliveries(
  db: Kysely<Database>, customerId: string, webhookId: string,
  filters: { limit: number; cursor?: string | undefined; status?: DeliveryRow['status'] | undefined; eventType?: string | undefined; since?: string | undefined },
): Promise<{ items: DeliveryItem[]; nextCursor: string | null }> {
  // Zapier subscriptions and Google Sheets destinations keep the same delivery log.
  assertFound(await findWebhook(db, customerId, webhookId, ALL_DESTINATION_KINDS), 'Webhook');
  const cursor = decodeCursor(filters.cursor);
  let query = db.selectFrom('deliveries').selectAll().where('customer_id', '=', customerId).where('webhook_id', '=', webhookId);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.eventType) query = query.where('event_type', '=', filters.eventType);
  if (filters.since) {
    // The pattern lets "9999-99-99" through; a time that does not exist is a 400, not a RangeError (500).
    const sinceMs = Date.parse(filters.since);
    if (Number.isNaN(sinceMs)) throw new AppError('validation_failed', 'since must be an ISO 8601 time.', [{ field: 'query.since', message: 'is not a time' }]);
    query = query.where('created_at', '>=', new Date(sinceMs).toISOString());
  }
  if (cursor) query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filters.limit + 1).execute();
  return toPage(rows, filters.limit, toDeliveryItem);
}

export interface AttemptItem {
  attemptNumber: number;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  outcome: string;
  error: string | null;
  responseExcerpt: string | null;
  requestHeaders: Record<string, string>;
}

/**
 * One delivery with every attempt (`attempts` becomes the list; `attemptCount` keeps the number) and the body
 * it sends, rendered from the stored event with the webhook's current mappings.
 */
export async function getDeliveryDetail(db: Kysely<Database>, customerId: string, deliveryId: string): Promise<Omit<DeliveryItem, 'attempts'> & {
  attempts: AttemptItem[];
  attemptCount: number;
  event: { id: string; type: string; createdAt: string };
  requestBody: string;
  contentType: string;
}> {
  const row = assertFound(await findDelivery(db, customerId, deliveryId), 'Delivery');
  const [attempts, event, webhook] = await Promise.all([
    listAttempts(db, customerId, deliveryId),
    db.selectFrom('events').selectAll().where('id', '=', row.event_id).where('customer_id', '=', customerId).executeTakeFirstOrThrow(),
    db.selectFrom('webhooks').selectAll().where('id', '=', row.webhook_id).where('customer_id', '=', customerId).executeTakeFirstOrThrow(),
  ]);
  const settings = readWebhookSettings(webhook);
  const rendered = renderEventBody(event.type as EventType, { id: event.id, createdAt: event.created_at, customerId, stored: JSON.parse(event.payload) as StoredEventContext }, settings.mappings, settings.bodyFormat);
  return {
    ...toDeliveryItem(row),
    attempts: attempts.map((a) => ({
      attemptNumber: a.attempt_number, startedAt: toWireTime(a.started_at), statusCode: a.status_code, latencyMs: a.latency_ms, outcome: a.outcome,
      error: a.error_message, responseExcerpt: a.response_excerpt,
      // Masked again on the way out: attempts logged before every custom header value was masked held some raw.
      requestHeaders: redactHeaders(JSON.parse(a.request_headers) as Record<string, string>),
    })),
    attemptCount: row.attempts,
    event: { id: event.id, type: event.type, createdAt: toWireTime(event.created_at) },
    requestBody: rendered.body,
    contentType: rendered.contentType,
  };
}

/** Re-sends a finished delivery now, keeping its id (the receiver can dedupe); 409 while it is still queued ("Retry now" is for those). */
export async function resendDelivery(db: Kysely<Database>, customerId: string, deliveryId: string): Promise<DeliveryItem> {
  const row = assertFound(await findDelivery(db, customerId, deliveryId), 'Delivery');
  const webhook = assertFound(await findWebhook(db, customerId, row.webhook_id, ALL_DESTINATION_KINDS), 'Webhook');
  if (webhook.enabled === 0) throw new AppError('conflict', 'The webhook is disabled. Re-enable it first, then re-send.');
  if (!(await requeueDelivery(db, customerId, deliveryId, nowIso()))) throw new AppError('conflict', 'This delivery is still queued: use “Retry now” to attempt it at once.');
  await wakeDeliveryWorkers(db);
  return toDeliveryItem(assertFound(await findDelivery(db, customerId, deliveryId), 'Delivery'));
}

/**
 * Attempts a pending or retrying delivery at once instead of at its next scheduled time (after fixing the
 * endpoint). Its attempt count and retry schedule are kept. 409 when it is finished (re-send it instead) or a
 * worker is sending it right now — it is never handed to a second worker while one holds it.
 */
export async function retryDeliveryNow(db: Kysely<Database>, customerId: string, deliveryId: string): Promise<DeliveryItem> {
  const row = assertFound(await findDelivery(db, customerId, deliveryId), 'Delivery');
  const webhook = assertFound(await findWebhook(db, customerId, row.webhook_id, ALL_DESTINATION_KINDS), 'Webhook');
  if (webhook.enabled === 0) throw new AppError('conflict', 'The webhook is disabled. Re-enable it first, then retry.');
  if (row.status === 'succeeded' || row.status === 'failed') throw new AppError('conflict', 'This delivery is finished: use “Re-send” to send it again.');
  const result = await scheduleUnfinishedNow(db, customerId, { deliveryId }, nowIso());
  if (result.scheduled === 0) {
    throw new AppError('conflict', result.inFlight > 0 ? 'This delivery is being sent right now; its result appears in the log in a moment.' : 'This delivery is no longer queued; refresh the log.');
  }
  await wakeDeliveryWorkers(db);
  return toDeliveryItem(assertFound(await findDelivery(db, customerId, deliveryId), 'Delivery'));
}

/** Makes every pending or retrying delivery of a webhook due now ("Retry all pending now"). */
export async function retryPendingNow(db: Kysely<Database>, customerId: string, webhookId: string): Promise<RetryNowResult> {
  const webhook = assertFound(await findWebhook(db, customerId, webhookId, ALL_DESTINATION_KINDS), 'Webhook');
  if (webhook.enabled === 0) throw new AppError('conflict', 'The webhook is disabled. Re-enable it first, then retry.');
  const result = await scheduleUnfinishedNow(db, customerId, { webhookId: webhook.id }, nowIso());
  if (result.scheduled > 0) await wakeDeliveryWorkers(db);
  return result;
}

/**
 * After fixing an outage: re-queues every failed delivery of a webhook since a time and makes every one still
 * retrying (or pending) since then due now. `requeued` is the sum of both.
 */
export async function recoverFailedDeliveries(
  db: Kysely<Database>, customerId: string, webhookId: string, since: string,
): Promise<{ requeued: number; failed: number; retrying: number; inFlight: number }> {
  const webhook = assertFound(await findWebhook(db, customerId, webhookId, ALL_DESTINATION_KINDS), 'Webhook');
  if (webhook.enabled === 0) throw new AppError('conflict', 'The webhook is disabled. Re-enable it first, then recover.');
  const sinceMs = Date.parse(since);
  if (Number.isNaN(sinceMs)) throw new AppError('validation_failed', 'Invalid time', [{ field: 'since', message: 'must be an ISO 8601 time' }]);
  const sinceIso = new Date(sinceMs).toISOString();
  const now = nowIso();
  // Unfinished ones first: a failed delivery requeued a moment later must not be counted twice.
  const unfinished = await scheduleUnfinishedNow(db, customerId, { webhookId: webhook.id, since: sinceIso }, now);
  const failed = await requeueFailedSince(db, customerId, webhookId, sinceIso, now);
  if (failed + unfinished.scheduled > 0) await wakeDeliveryWorkers(db);
  return { requeued: failed + unfinished.scheduled, failed, retrying: unfinished.scheduled, inFlight: unfinished.inFlight };
}
