import type { Kysely } from 'kysely';
import type { ApiKeyScope, Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { hashPassword, hashToken, newToken, verifyPassword } from '../../lib/crypto.js';
import { newId } from '../../lib/ids.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import {
  findCustomer, findUser, findUserByEmail, listApiKeys, listMemberships,
  type ApiKeyRow, type CustomerRow, type MemberRow, type UserRow,
} from './accounts.repository.js';

export const TRIAL_DAYS = 7;
const DAY_MS = 86_400_000;
export const SESSION_TTL_MS = 14 * DAY_MS;
/** How long an e-mailed password-reset link works (once). */
export const PASSWORD_RESET_TTL_MS = 3_600_000;
const API_KEY_PREFIX = 'fck_';

// Verifying against a real hash when the email is unknown keeps login timing the same either way. The dummy is
// hashed at the configured cost: a cheaper one (it was fixed at 2^12 while accounts use 2^17) made unknown
// e-mails answer about 30 times faster, which told an attacker which addresses have accounts.
const dummyHashes = new Map<number, Promise<string>>();

function dummyPasswordHash(scryptLogN: number): Promise<string> {
  let hash = dummyHashes.get(scryptLogN);
  if (!hash) {
    hash = hashPassword('not-a-real-password', scryptLogN);
    dummyHashes.set(scryptLogN, hash);
  }
  return hash;
}

/**
 * What a signup with an e-mail that already has an account answers. It neither logs in nor says that the address
 * is registered; it costs the same password hashing as a real signup, and the address's owner is told by e-mail
 * when SMTP is configured (see SECURITY.md: a signup that logs in at once cannot look identical for both cases).
 */
export const SIGNUP_NOT_COMPLETED_DETAIL = 'We could not create an account with these details. If you already have an account, log in instead.';

export interface CustomerView {
  id: string; name: string; status: string; trialEndsAt: string; isActive: boolean;
  trialDaysLeft: number | null; createdAt: string; cancelledAt: string | null;
}

export interface UserView { id: string; email: string; name: string | null; role: string; createdAt: string }

export interface NewSession { token: string; csrfToken: string; expiresAt: string }

/** True when the account may chat: paid (active), or on a trial that has not ended. */
export function isCustomerActive(customer: Pick<CustomerRow, 'status' | 'trial_ends_at'>, now = nowIso()): boolean {
  if (customer.status === 'active') return true;
  return customer.status === 'trial' && customer.trial_ends_at > now;
}

/** The customer as the portal shows it. */
export function toCustomerView(customer: CustomerRow, now = nowIso()): CustomerView {
  const msLeft = Date.parse(customer.trial_ends_at) - Date.parse(now);
  return {
    id: customer.id,
    name: customer.name,
    status: customer.status,
    trialEndsAt: toWireTime(customer.trial_ends_at),
    isActive: isCustomerActive(customer, now),
    trialDaysLeft: customer.status === 'trial' ? Math.max(0, Math.ceil(msLeft / DAY_MS)) : null,
    createdAt: toWireTime(customer.created_at),
    cancelledAt: toWireTime(customer.cancelled_at),
  };
}

/** The user as the portal shows it in one account (never the password hash). */
export function toUserView(user: MemberRow): UserView {
  return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: toWireTime(user.created_at) };
}

/** Opens a session of `user` in one of their accounts. */
export async function createSession(db: Kysely<Database>, user: UserRow, customerId: string): Promise<NewSession> {
  const token = newToken();
  const csrfToken = newToken();
  const now = nowIso();
  const expiresAt = addMs(now, SESSION_TTL_MS);
  await db
    .insertInto('sessions')
    .values({ id: hashToken(token), user_id: user.id, customer_id: customerId, csrf_token: csrfToken, created_at: now, expires_at: expiresAt })
    .execute();
  return { token, csrfToken, expiresAt };
}

export interface SignUpOptions {
  scryptLogN: number;
  /** Called (not awaited) when the e-mail already has an account, e.g. to e-mail its owner. */
  onExistingAccount?: ((email: string) => void) | undefined;
}

function refuseExistingAccount(email: string, options: SignUpOptions): never {
  options.onExistingAccount?.(email);
  throw new AppError('signup_not_completed', SIGNUP_NOT_COMPLETED_DETAIL);
}

/** Creates a customer on a 7-day trial with its owner user, and logs that user in; an e-mail already registered gets a 422 that does not say so. */
export async function signUp(
  db: Kysely<Database>,
  input: { email: string; password: string; company: string; name?: string | undefined },
  options: SignUpOptions,
): Promise<{ user: MemberRow; customer: CustomerRow; session: NewSession }> {
  const email = input.email.trim().toLowerCase();
  const existing = await findUserByEmail(db, email);
  // Hashed either way, so a registered address does not answer faster than a new one.
  const passwordHash = await hashPassword(input.password, options.scryptLogN);
  if (existing) refuseExistingAccount(email, options);
  const now = nowIso();
  const customer: CustomerRow = {
    id: newId('cus'), name: input.company.trim(), status: 'trial', trial_ends_at: addMs(now, TRIAL_DAYS * DAY_MS),
    created_at: now, updated_at: now, cancelled_at: null,
  };
  const user: UserRow = {
    id: newId('usr'), customer_id: customer.id, email, name: input.name?.trim() || null, password_hash: passwordHash, created_at: now,
  };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values(customer).execute();
      await trx.insertInto('users').values(user).execute();
      await trx.insertInto('memberships').values({ customer_id: customer.id, user_id: user.id, role: 'owner', created_at: now }).execute();
    });
  } catch (error) {
    // Two signups racing for one email: the unique index decides, the loser gets the same answer as above.
    if (await findUserByEmail(db, email)) refuseExistingAccount(email, options);
    throw error;
  }
  return { user: { ...user, role: 'owner' }, customer, session: await createSession(db, user, customer.id) };
}

/** Checks credentials and opens a new session (a fresh token on every login: no session fixation). */
export async function logIn(
  db: Kysely<Database>,
  input: { email: string; password: string },
  previousSessionToken: string | undefined,
  scryptLogN: number,
): Promise<{ user: MemberRow; customer: CustomerRow; session: NewSession }> {
  const user = await findUserByEmail(db, input.email.trim());
  const valid = await verifyPassword(input.password, user?.password_hash ?? (await dummyPasswordHash(scryptLogN)));
  if (!user || !valid) throw new AppError('unauthorized', 'Email or password is wrong.');
  // The account the user last chose (or joined first); any membership if that one has gone.
  const member = (await findUser(db, user.customer_id, user.id)) ?? await firstMembership(db, user);
  if (!member) throw new AppError('unauthorized', 'Email or password is wrong.');
  if (previousSessionToken) await logOut(db, previousSessionToken);
  const customer = assertFound(await findCustomer(db, member.customer_id), 'Customer');
  return { user: member, customer, session: await createSession(db, user, customer.id) };
}

async function firstMembership(db: Kysely<Database>, user: UserRow): Promise<MemberRow | undefined> {
  const first = (await listMemberships(db, user.id))[0];
  return first ? { ...user, customer_id: first.customer_id, role: first.role } : undefined;
}

/** Ends a session for good: the token stops working everywhere at once. */
export async function logOut(db: Kysely<Database>, sessionToken: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', hashToken(sessionToken)).execute();
}

/** Ends every session of a user ("sign out everywhere"), the caller's own included. */
export async function endAllSessions(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/**
 * Changes a signed-in user's password after checking the current one (a borrowed, unlocked browser is not enough),
 * ends the user's other sessions and pending reset links, and keeps the session that made the change.
 */
export async function changePassword(
  db: Kysely<Database>,
  caller: { customerId: string; userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
  scryptLogN: number,
): Promise<void> {
  const user = assertFound(await findUser(db, caller.customerId, caller.userId), 'User');
  if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
    throw new AppError('validation_failed', 'The current password is not right.', [{ field: 'currentPassword', message: 'This is not your current password.' }]);
  }
  const passwordHash = await hashPassword(input.newPassword, scryptLogN);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', user.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).where('id', '!=', caller.sessionId).execute();
    await trx.deleteFrom('password_resets').where('user_id', '=', user.id).execute();
  });
}

/**
 * Creates a password-reset link token for the account of `email`, or returns null when no account uses it. Only the
 * newest link of a user works (earlier ones are deleted); the token is returned this once and stored as its hash.
 */
export async function createPasswordReset(db: Kysely<Database>, email: string): Promise<{ token: string; expiresAt: string } | null> {
  const now = nowIso();
  await db.deleteFrom('password_resets').where('expires_at', '<', now).execute();
  const user = await findUserByEmail(db, email.trim());
  if (!user) return null;
  const token = newToken();
  const expiresAt = addMs(now, PASSWORD_RESET_TTL_MS);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('password_resets').where('user_id', '=', user.id).execute();
    await trx.insertInto('password_resets').values({ id: hashToken(token), user_id: user.id, created_at: now, expires_at: expiresAt, used_at: null }).execute();
  });
  return { token, expiresAt };
}

const RESET_LINK_INVALID_DETAIL = 'This password-reset link is not valid any more: it was used already, has expired, or a newer one was sent. Ask for a new link.';

/** Sets a new password from an e-mailed link: the link works once, within its hour, and every session of the user ends. */
export async function resetPassword(db: Kysely<Database>, input: { token: string; newPassword: string }, scryptLogN: number): Promise<void> {
  const id = hashToken(input.token);
  const now = nowIso();
  const reset = await db.selectFrom('password_resets').selectAll().where('id', '=', id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  if (!reset) throw new AppError('reset_link_invalid', RESET_LINK_INVALID_DETAIL);
  const passwordHash = await hashPassword(input.newPassword, scryptLogN);
  await db.transaction().execute(async (trx) => {
    // Claimed with a conditional update, so two requests racing with one link cannot both use it.
    const claimed = await trx.updateTable('password_resets').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('reset_link_invalid', RESET_LINK_INVALID_DETAIL);
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', reset.user_id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', reset.user_id).execute();
  });
}

/** Sets a user's password from the operator's command line (`npm run admin -- reset-password`) and ends their sessions. */
export async function setPasswordByAdmin(db: Kysely<Database>, email: string, newPassword: string, scryptLogN: number): Promise<UserRow> {
  const user = assertFound(await findUserByEmail(db, email.trim()), 'User');
  const passwordHash = await hashPassword(newPassword, scryptLogN);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', user.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('password_resets').where('user_id', '=', user.id).execute();
  });
  return user;
}

/** The signed-in user (null for API-key callers) and their customer. */
export async function getAccount(db: Kysely<Database>, customerId: string, userId: string | null): Promise<{ user: MemberRow | null; customer: CustomerRow }> {
  const customer = assertFound(await findCustomer(db, customerId), 'Customer');
  const user = userId ? (await findUser(db, customerId, userId)) ?? null : null;
  return { user, customer };
}

/**
 * Sets the signed-in user's display name: what visitors see on the user's inbox replies and colleagues see in the
 * inbox (empty = none: visitors then see "<business> team", never the e-mail address).
 */
export async function updateProfile(db: Kysely<Database>, customerId: string, userId: string, input: { name: string | null }): Promise<MemberRow> {
  const name = input.name?.trim() || null;
  await db.updateTable('users').set({ name }).where('id', '=', userId).execute();
  return assertFound(await findUser(db, customerId, userId), 'User');
}

export interface MembershipView { customerId: string; customerName: string; role: string; isCurrent: boolean }

/** The accounts the signed-in user belongs to (several after accepting invitations from other accounts). */
export async function getMemberships(db: Kysely<Database>, customerId: string, userId: string): Promise<MembershipView[]> {
  return (await listMemberships(db, userId)).map((m) => ({ customerId: m.customer_id, customerName: m.customer_name, role: m.role, isCurrent: m.customer_id === customerId }));
}

/**
 * Moves a session to another account of the same user (refused with 404 unless the user is a member there), and
 * remembers it as the account their next login opens.
 */
export async function switchAccount(db: Kysely<Database>, caller: { userId: string; sessionId: string }, customerId: string): Promise<{ user: MemberRow; customer: CustomerRow }> {
  const user = assertFound(await findUser(db, customerId, caller.userId), 'Account');
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('sessions').set({ customer_id: customerId }).where('id', '=', caller.sessionId).where('user_id', '=', caller.userId).execute();
    await trx.updateTable('users').set({ customer_id: customerId }).where('id', '=', caller.userId).execute();
  });
  return { user, customer: assertFound(await findCustomer(db, customerId), 'Customer') };
}

/** Cancels the subscription: chat stops answering; data stays so the account can be re-activated. */
export async function cancelAccount(db: Kysely<Database>, customerId: string): Promise<CustomerRow> {
  const now = nowIso();
  await db.updateTable('customers').set({ status: 'cancelled', cancelled_at: now, updated_at: now }).where('id', '=', customerId).execute();
  return assertFound(await findCustomer(db, customerId), 'Customer');
}

/** Activates an account by customer id or by any of its users' email (admin command). */
export async function activateAccount(db: Kysely<Database>, customerIdOrEmail: string): Promise<CustomerRow> {
  let customerId = customerIdOrEmail.trim();
  if (customerId.includes('@')) {
    const user = assertFound(await findUserByEmail(db, customerId), 'User');
    customerId = user.customer_id;
  }
  const now = nowIso();
  const result = await db.updateTable('customers').set({ status: 'active', cancelled_at: null, updated_at: now }).where('id', '=', customerId).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new AppError('not_found', `No customer ${customerIdOrEmail}`);
  return assertFound(await findCustomer(db, customerId), 'Customer');
}

export interface ApiKeyView { id: string; name: string; prefix: string; scope: ApiKeyScope; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }

function toApiKeyView(row: Omit<ApiKeyRow, 'key_hash'>): ApiKeyView {
  return {
    id: row.id, name: row.name, prefix: row.key_prefix, scope: row.scope, createdAt: toWireTime(row.created_at),
    lastUsedAt: toWireTime(row.last_used_at), revokedAt: toWireTime(row.revoked_at),
  };
}

/** Creates an API key (`write` unless asked for `read`); the key itself is returned this once and only its hash is stored. */
export async function createApiKey(db: Kysely<Database>, customerId: string, input: { name: string; scope?: ApiKeyScope | undefined }): Promise<ApiKeyView & { key: string }> {
  const key = API_KEY_PREFIX + newToken();
  const row: ApiKeyRow = {
    id: newId('key'), customer_id: customerId, name: input.name.trim(), key_hash: hashToken(key),
    key_prefix: key.slice(0, API_KEY_PREFIX.length + 6), scope: input.scope ?? 'write', created_at: nowIso(), last_used_at: null, revoked_at: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { ...toApiKeyView(row), key };
}

/** Lists the customer's API keys (prefixes only). */
export async function getApiKeys(db: Kysely<Database>, customerId: string): Promise<ApiKeyView[]> {
  return (await listApiKeys(db, customerId)).map(toApiKeyView);
}

/** Revokes a key: requests with it fail from now on. */
export async function revokeApiKey(db: Kysely<Database>, customerId: string, keyId: string): Promise<void> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: nowIso() })
    .where('customer_id', '=', customerId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new AppError('not_found', 'API key not found');
}
