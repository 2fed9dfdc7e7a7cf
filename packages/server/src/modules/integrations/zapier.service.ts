import type { EventContext as StoredEventContext } from '@fc/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import {
  assertResolvesPublic, buildEnvelope, buildSampleEventContext, DEFAULT_MAPPINGS, generateWebhookSecret, renderPayload, validateWebhookUrl,
  type EventType, type ResolveAllFn,
} from '../delivery/index.js';
import { toDeliveryContext } from '../webhooks/delivery-attempt.service.js';
import { countPendingByWebhook, sealWebhookSecret, type WebhookRow } from '../webhooks/webhooks.repository.js';
import type { ZapierHookInput, ZapierHookView } from './integrations.schemas.js';

/**
 * The Zapier add-on's REST hooks (contract section 5). A subscription is a `webhooks` row of kind 'zapier'
 * with the default mappings, HMAC signing under a generated secret and a JSON body, so it is delivered,
 * retried and logged exactly like a webhook. A 410 Gone from the hook URL disables it for good with
 * ZAPIER_GONE_REASON (delivery-attempt.service.ts): it receives nothing more, keeps its delivery log, and
 * shows as `unsubscribed` in the portal until Zapier or the customer deletes it.
 */

export interface ZapierServiceDeps {
  db: Kysely<Database>;
  secretKey: Buffer;
  allowPrivate: boolean;
  resolve?: ResolveAllFn;
}

/** More than this many live subscriptions is a runaway client, not a customer's Zaps. */
export const ZAPIER_HOOKS_MAX = 100;
/** How many recent payloads the samples endpoint answers (Zapier's field picker shows the first). */
export const ZAPIER_SAMPLES_MAX = 3;

/** The account and key behind an X-API-Key: Zapier's connection test and its label. */
export async function getZapierMe(db: Kysely<Database>, customerId: string, apiKeyId: string): Promise<{ customer: { id: string; name: string }; apiKey: { id: string; name: string; prefix: string } }> {
  const [customer, key] = await Promise.all([
    db.selectFrom('customers').select(['id', 'name']).where('id', '=', customerId).executeTakeFirstOrThrow(),
    db.selectFrom('api_keys').select(['id', 'name', 'key_prefix']).where('customer_id', '=', customerId).where('id', '=', apiKeyId).executeTakeFirstOrThrow(),
  ]);
  return { customer, apiKey: { id: key.id, name: key.name, prefix: key.key_prefix } };
}

/** Subscribes a Zapier hook URL to one event type (optionally one chatbot's); answers the subscription id. */
export async function subscribeZapierHook(deps: ZapierServiceDeps, customerId: string, input: ZapierHookInput): Promise<{ id: string }> {
  const url = validateWebhookUrl(input.targetUrl, { allowPrivate: deps.allowPrivate }, 'targetUrl');
  if (!deps.allowPrivate) await assertResolvesPublic(new URL(url).hostname, { field: 'targetUrl', resolve: deps.resolve });
  let chatbotId: string | null = null;
  if (input.chatbotId !== undefined && input.chatbotId !== null) {
    const bot = await deps.db.selectFrom('chatbots').select('id').where('customer_id', '=', customerId).where('id', '=', input.chatbotId).executeTakeFirst();
    if (!bot) throw new AppError('validation_failed', 'Unknown chatbot', [{ field: 'chatbotId', message: 'no chatbot with this id in your account' }]);
    chatbotId = bot.id;
  }
  const live = await deps.db.selectFrom('webhooks').select(deps.db.fn.countAll<number | string>().as('n'))
    .where('customer_id', '=', customerId).where('kind', '=', 'zapier').where('enabled', '=', 1).executeTakeFirst();
  if (Number(live?.n ?? 0) >= ZAPIER_HOOKS_MAX) throw new AppError('conflict', `This account already has ${ZAPIER_HOOKS_MAX} active Zapier subscriptions; turn off Zaps you no longer use.`);
  const id = newId('zap');
  const now = nowIso();
  await deps.db.insertInto('webhooks').values({
    id, customer_id: customerId, chatbot_id: chatbotId, kind: 'zapier', name: 'Zapier', url, events: JSON.stringify([input.event]),
    signing_mode: 'hmac-sha256', secret_sealed: sealWebhookSecret(deps.secretKey, id, generateWebhookSecret()), previous_secret_sealed: null,
    previous_secret_expires_at: null, mappings: JSON.stringify(DEFAULT_MAPPINGS), headers_sealed: null, body_format: 'json', preset: null,
    enabled: 1, disabled_reason: null, disabled_at: null, failing_since: null, last_success_at: null, last_failure_at: null, created_at: now, updated_at: now,
  }).execute();
  return { id };
}

/** Removes a Zapier subscription and its delivery log (Zapier's unsubscribe, or the portal's "remove"). */
export async function unsubscribeZapierHook(db: Kysely<Database>, customerId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('webhooks').where('customer_id', '=', customerId).where('id', '=', id).where('kind', '=', 'zapier').executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new AppError('not_found', 'Zapier subscription not found');
}

/** One event as a Zapier hook receives it: default mappings plus the envelope, the same code a delivery uses. */
function renderForZapier(type: EventType, event: { id: string; createdAt: string; customerId: string; stored: StoredEventContext }): Record<string, unknown> {
  const context = toDeliveryContext(event.stored);
  return buildEnvelope(renderPayload(type, context, DEFAULT_MAPPINGS), {
    eventType: type, eventId: event.id, occurredAt: event.createdAt, customerId: event.customerId, chatbotId: context.chatbot.id,
    conversationId: context.conversation?.id ?? null,
  });
}

/**
 * Recent real payloads of an event type, newest first, as Zapier would receive them; when the account has
 * none yet, one realistic sample (the customer's own chatbot, the product page's Jane Smith).
 */
export async function listZapierSamples(db: Kysely<Database>, customerId: string, type: EventType, chatbotId?: string): Promise<Record<string, unknown>[]> {
  let query = db.selectFrom('events').select(['id', 'payload', 'created_at']).where('customer_id', '=', customerId).where('type', '=', type);
  if (chatbotId) query = query.where('chatbot_id', '=', chatbotId);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(ZAPIER_SAMPLES_MAX).execute();
  if (rows.length > 0) {
    return rows.map((row) => renderForZapier(type, { id: row.id, createdAt: row.created_at, customerId, stored: JSON.parse(row.payload) as StoredEventContext }));
  }
  const customer = await db.selectFrom('customers').select(['id', 'name']).where('id', '=', customerId).executeTakeFirstOrThrow();
  let bots = db.selectFrom('chatbots').select(['id', 'name']).where('customer_id', '=', customerId);
  if (chatbotId) bots = bots.where('id', '=', chatbotId);
  const chatbot = await bots.orderBy('created_at').executeTakeFirst();
  const sample = buildSampleEventContext({ customer, chatbot: chatbot ?? undefined });
  const stored: StoredEventContext = {
    customer, chatbot: sample.chatbot,
    conversation: sample.conversation ? { ...sample.conversation, transcript: [...sample.conversation.transcript] } : undefined,
    visitor: sample.visitor ?? undefined,
    lead: sample.lead ?? undefined,
    escalation: sample.escalation ?? undefined,
    satisfaction: sample.satisfaction ?? undefined,
  };
  return [renderForZapier(type, { id: 'evt_sampleEvent', createdAt: nowIso(), customerId, stored })];
}

function toHookView(row: WebhookRow, pending: number): ZapierHookView {
  const [event = ''] = JSON.parse(row.events) as string[];
  return {
    id: row.id, event, targetUrl: row.url, chatbotId: row.chatbot_id,
    status: row.enabled === 1 ? 'active' : 'unsubscribed', statusReason: row.disabled_reason,
    health: { lastSuccessAt: toWireTime(row.last_success_at), lastFailureAt: toWireTime(row.last_failure_at), failingSince: toWireTime(row.failing_since), pending },
    createdAt: toWireTime(row.created_at),
  };
}

/** The portal's list of Zapier subscriptions (active and unsubscribed), newest first. */
export async function listZapierHooks(db: Kysely<Database>, customerId: string, page: { limit: number; cursor?: string | undefined }): Promise<{ items: ZapierHookView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(page.cursor);
  let query = db.selectFrom('webhooks').selectAll().where('customer_id', '=', customerId).where('kind', '=', 'zapier');
  if (cursor) query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
  const pending = await countPendingByWebhook(db, customerId, rows.map((r) => r.id));
  return toPage(rows, page.limit, (row) => toHookView(row, pending.get(row.id) ?? 0));
}

/** One Zapier subscription for the portal. */
export async function getZapierHook(db: Kysely<Database>, customerId: string, id: string): Promise<ZapierHookView> {
  const row = assertFound(await db.selectFrom('webhooks').selectAll().where('customer_id', '=', customerId).where('id', '=', id).where('kind', '=', 'zapier').executeTakeFirst(), 'Zapier subscription');
  const pending = await countPendingByWebhook(db, customerId, [id]);
  return toHookView(row, pending.get(id) ?? 0);
}
