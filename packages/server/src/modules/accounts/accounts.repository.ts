import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, CustomersTable, Database, SessionsTable, UsersTable } from '../../db/schema.js';
import { hashToken } from '../../lib/crypto.js';
import { addMs, nowIso } from '../../lib/time.js';

export type CustomerRow = Selectable<CustomersTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

const API_KEY_TOUCH_INTERVAL_MS = 60_000;

/** Finds a live session by its cookie token. */
export async function findSessionByToken(db: Kysely<Database>, token: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', hashToken(token))
    .where('expires_at', '>', nowIso())
    .executeTakeFirst();
}

/** Finds an unrevoked API key by the key the client sent. */
export async function findApiKeyByToken(db: Kysely<Database>, key: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hashToken(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Records that a key was used, at most once a minute, so reads do not each cost a write. */
export async function touchApiKey(db: Kysely<Database>, id: string): Promise<void> {
  const now = nowIso();
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', addMs(now, -API_KEY_TOUCH_INTERVAL_MS))]))
    .execute();
}

/** Loads one customer. */
export async function findCustomer(db: Kysely<Database>, customerId: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('id', '=', customerId).executeTakeFirst();
}

/** Loads a user of a customer. */
export async function findUser(db: Kysely<Database>, customerId: string, userId: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('customer_id', '=', customerId).where('id', '=', userId).executeTakeFirst();
}

/** Looks a user up by (lower-cased) email, across customers: emails are unique. */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** Lists a customer's API keys, newest first (never the hashes). */
export async function listApiKeys(db: Kysely<Database>, customerId: string): Promise<Omit<ApiKeyRow, 'key_hash'>[]> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'customer_id', 'name', 'key_prefix', 'scope', 'created_at', 'last_used_at', 'revoked_at'])
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}
