import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, CustomersTable, Database, MemberRole, SessionsTable, UsersTable } from '../../db/schema.js';
import { hashToken } from '../../lib/crypto.js';
import { addMs, nowIso } from '../../lib/time.js';

export type CustomerRow = Selectable<CustomersTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
/** A live session with the user's role in the session's account. */
export type MemberSessionRow = SessionRow & { role: MemberRole };
/** A user as a member of one account (`customer_id` is that account). */
export type MemberRow = UserRow & { role: MemberRole };
export type ApiKeyRow = Selectable<ApiKeysTable>;

const API_KEY_TOUCH_INTERVAL_MS = 60_000;

/**
 * Finds a live session by its cookie token, with the user's current role in the session's account. A session
 * whose user is no longer a member of that account is no session (removing a member also deletes its sessions;
 * the join makes sure a role change or removal counts from the very next request).
 */
export async function findSessionByToken(db: Kysely<Database>, token: string): Promise<MemberSessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('memberships', (join) => join.onRef('memberships.customer_id', '=', 'sessions.customer_id').onRef('memberships.user_id', '=', 'sessions.user_id'))
    .selectAll('sessions')
    .select('memberships.role')
    .where('sessions.id', '=', hashToken(token))
    .where('sessions.expires_at', '>', nowIso())
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

/** Loads a member of a customer (a user of another account is not found). */
export async function findUser(db: Kysely<Database>, customerId: string, userId: string): Promise<MemberRow | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    // customer_id is the membership's account, not the one the user's login opens first.
    .select(['users.id', 'users.email', 'users.name', 'users.password_hash', 'users.created_at', 'memberships.customer_id', 'memberships.role'])
    .where('memberships.customer_id', '=', customerId)
    .where('users.id', '=', userId)
    .executeTakeFirst();
}

/** The accounts a user belongs to, the oldest membership first. */
export async function listMemberships(db: Kysely<Database>, userId: string): Promise<{ customer_id: string; customer_name: string; role: MemberRole }[]> {
  return db
    .selectFrom('memberships')
    .innerJoin('customers', 'customers.id', 'memberships.customer_id')
    .select(['memberships.customer_id', 'customers.name as customer_name', 'memberships.role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('memberships.created_at')
    .orderBy('memberships.customer_id')
    .execute();
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
