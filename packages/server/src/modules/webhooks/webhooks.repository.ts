import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, WebhooksTable } from '../../db/schema.js';
import { openSecret, sealSecret } from '../../lib/crypto.js';
import type { BodyFormat, Mappings, SigningMode } from '../delivery/index.js';

export type Executor = Kysely<Database> | Transaction<Database>;
export type WebhookRow = Selectable<WebhooksTable>;

/** A previous secret keeps signing for this long after a rotation, so receivers can switch without a gap. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1_000;

/** Associated data binds each sealed value to its row and column: a value copied elsewhere will not open. */
function sealContext(webhookId: string, column: 'secret' | 'previous_secret' | 'headers'): string {
  return `webhooks:${webhookId}:${column}`;
}

export function sealWebhookSecret(key: Buffer, webhookId: string, secret: string, column: 'secret' | 'previous_secret' = 'secret'): string {
  return sealSecret(key, secret, sealContext(webhookId, column));
}

export function sealWebhookHeaders(key: Buffer, webhookId: string, headers: Record<string, string>): string | null {
  return Object.keys(headers).length === 0 ? null : sealSecret(key, JSON.stringify(headers), sealContext(webhookId, 'headers'));
}

/** The decrypted material a delivery needs: current secret first, then a rotated-out one still in its overlap. */
export interface WebhookSecrets {
  secrets: string[];
  headers: Record<string, string>;
}

/** Opens a webhook's sealed secrets and custom headers. */
export function openWebhookSecrets(key: Buffer, row: Pick<WebhookRow, 'id' | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at' | 'headers_sealed'>, now: string): WebhookSecrets {
  const secrets = [openSecret(key, row.secret_sealed, sealContext(row.id, 'secret'))];
  if (row.previous_secret_sealed && row.previous_secret_expires_at && row.previous_secret_expires_at > now) {
    secrets.push(openSecret(key, row.previous_secret_sealed, sealContext(row.id, 'previous_secret')));
  }
  const headers = row.headers_sealed ? JSON.parse(openSecret(key, row.headers_sealed, sealContext(row.id, 'headers'))) as Record<string, string> : {};
  return { secrets, headers };
}

/** The stored configuration of a webhook in the shapes the delivery core takes. */
export interface WebhookSettings {
  url: string;
  events: string[];
  chatbotId: string | null;
  signingMode: SigningMode;
  mappings: Mappings;
  bodyFormat: BodyFormat;
  preset: string | null;
}

/** Parses the JSON columns of a webhook row. */
export function readWebhookSettings(row: WebhookRow): WebhookSettings {
  return {
    url: row.url,
    events: JSON.parse(row.events) as string[],
    chatbotId: row.chatbot_id,
    signingMode: row.signing_mode,
    mappings: JSON.parse(row.mappings) as Mappings,
    bodyFormat: row.body_format,
    preset: row.preset,
  };
}

/** Every destination kind: what the delivery log, re-send and recovery work on. */
export const ALL_DESTINATION_KINDS: readonly WebhookRow['kind'][] = ['webhook', 'zapier', 'sheets'];

/**
 * One webhook of one customer, or undefined (absent and "not yours" look the same). Only kind 'webhook'
 * unless `kinds` says otherwise: Zapier subscriptions and Google Sheets have their own settings routes,
 * but share the delivery log with webhooks.
 */
export async function findWebhook(db: Executor, customerId: string, webhookId: string, kinds: readonly WebhookRow['kind'][] = ['webhook']): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('customer_id', '=', customerId).where('id', '=', webhookId).where('kind', 'in', kinds).executeTakeFirst();
}

/** Number of unfinished deliveries per webhook of a customer, for the list's health column. */
export async function countPendingByWebhook(db: Executor, customerId: string, webhookIds: readonly string[]): Promise<Map<string, number>> {
  const counts = await countUnfinishedByWebhook(db, customerId, webhookIds);
  return new Map([...counts].map(([id, count]) => [id, count.pending]));
}

/** Unfinished deliveries per webhook: all of them (`pending`) and those that failed at least once (`retrying`). */
export async function countUnfinishedByWebhook(db: Executor, customerId: string, webhookIds: readonly string[]): Promise<Map<string, { pending: number; retrying: number }>> {
  if (webhookIds.length === 0) return new Map();
  const rows = await db.selectFrom('deliveries')
    .select(['webhook_id', 'status', db.fn.countAll<number | string>().as('n')])
    .where('customer_id', '=', customerId)
    .where('webhook_id', 'in', webhookIds)
    .where('status', 'in', ['pending', 'retrying'])
    .groupBy(['webhook_id', 'status'])
    .execute();
  const counts = new Map<string, { pending: number; retrying: number }>();
  for (const row of rows) {
    const count = counts.get(row.webhook_id) ?? { pending: 0, retrying: 0 };
    // `pending` counts every unfinished delivery (as before); `retrying` those of them that have failed at least once.
    count.pending += Number(row.n);
    if (row.status === 'retrying') count.retrying += Number(row.n);
    counts.set(row.webhook_id, count);
  }
  return counts;
}
