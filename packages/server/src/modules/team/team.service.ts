import type { Kysely, Transaction } from 'kysely';
import type { Database, MemberRole } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { hashPassword, hashToken, newToken, verifyPassword } from '../../lib/crypto.js';
import { newId } from '../../lib/ids.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import { findCustomer, findUser, findUserByEmail, type CustomerRow, type MemberRow } from '../accounts/accounts.repository.js';
import { PASSWORD_MIN_CHARS } from '../accounts/accounts.schemas.js';
import { createSession, isCustomerActive, type NewSession } from '../accounts/accounts.service.js';
import { countOwners, findPendingInviteByToken, isMemberByEmail, listMemberRows, listPendingInvites, type InviteRow } from './team.repository.js';

/** How long an invitation link works (once). */
export const INVITE_TTL_MS = 7 * 86_400_000;
/** Pending invitations one account may hold at once: enough for a team, not a mailing list. */
export const MAX_PENDING_INVITES = 50;
/** An open inbox refreshes its presence this often… */
export const PRESENCE_REFRESH_MS = 20_000;
/** …and counts as online while refreshed within this (a process that died stops refreshing). */
export const PRESENCE_STALE_MS = 60_000;

const INVITE_INVALID_DETAIL = 'This invitation link is not valid any more: it was used already, was withdrawn, has expired, or a newer one was sent. Ask the account owner for a new invitation.';

export interface MemberView {
  userId: string; email: string; name: string | null; role: MemberRole; joinedAt: string; isYou: boolean; online: boolean; lastSeenAt: string | null;
}
export interface InviteView { id: string; email: string; role: MemberRole; invitedBy: string | null; createdAt: string; expiresAt: string }

function isOnline(lastSeenAt: string | null, now: string): boolean {
  return lastSeenAt !== null && lastSeenAt > addMs(now, -PRESENCE_STALE_MS);
}

/** The account's members with their role and whether each has the inbox open now. */
export async function listMembers(db: Kysely<Database>, customerId: string, callerUserId: string | null): Promise<MemberView[]> {
  const now = nowIso();
  return (await listMemberRows(db, customerId)).map((row) => ({
    userId: row.user_id, email: row.email, name: row.name, role: row.role, joinedAt: toWireTime(row.created_at),
    isYou: row.user_id === callerUserId, online: isOnline(row.last_seen_at, now), lastSeenAt: toWireTime(row.last_seen_at),
  }));
}

function toInviteView(row: InviteRow & { invited_by_name: string | null }): InviteView {
  return { id: row.id, email: row.email, role: row.role, invitedBy: row.invited_by_name, createdAt: toWireTime(row.created_at), expiresAt: toWireTime(row.expires_at) };
}

/** Invitations still waiting to be accepted. */
export async function listInvites(db: Kysely<Database>, customerId: string): Promise<InviteView[]> {
  return (await listPendingInvites(db, customerId)).map(toInviteView);
}

/**
 * Creates an invitation for `email` as `role` and returns its link token this once (stored as its sha256). Inviting
 * the same address again withdraws the earlier link, so only the newest one works; a member's address is refused.
 */
export async function createInvite(
  db: Kysely<Database>, customerId: string, invitedBy: string | null, input: { email: string; role: MemberRole },
): Promise<{ invite: InviteView; token: string }> {
  const email = input.email.trim().toLowerCase();
  if (await isMemberByEmail(db, customerId, email)) throw new AppError('already_member', `${email} is already a member of this account.`);
  const pending = await listPendingInvites(db, customerId);
  if (pending.filter((i) => i.email !== email).length >= MAX_PENDING_INVITES) {
    throw new AppError('conflict', `This account already has ${MAX_PENDING_INVITES} invitations waiting; withdraw some first.`);
  }
  const token = newToken();
  const now = nowIso();
  const row: InviteRow = {
    id: newId('inv'), customer_id: customerId, email, role: input.role, token_hash: hashToken(token), invited_by_user_id: invitedBy,
    created_at: now, expires_at: addMs(now, INVITE_TTL_MS), accepted_at: null, accepted_user_id: null, revoked_at: null,
  };
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('invites').set({ revoked_at: now })
      .where('customer_id', '=', customerId).where('email', '=', email).where('accepted_at', 'is', null).where('revoked_at', 'is', null).execute();
    await trx.insertInto('invites').values(row).execute();
  });
  const inviter = invitedBy ? await db.selectFrom('users').select(['name', 'email']).where('id', '=', invitedBy).executeTakeFirst() : undefined;
  return { invite: toInviteView({ ...row, invited_by_name: inviter ? inviter.name ?? inviter.email : null }), token };
}

/** Withdraws a pending invitation: its link stops working. Another account's invitation is not found. */
export async function revokeInvite(db: Kysely<Database>, customerId: string, inviteId: string): Promise<void> {
  const result = await db.updateTable('invites').set({ revoked_at: nowIso() })
    .where('customer_id', '=', customerId).where('id', '=', inviteId).where('accepted_at', 'is', null).where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new AppError('not_found', 'Invitation not found (it may have been accepted or withdrawn already).');
}

/** What the invitation page shows before accepting: which account, which e-mail and role, whether that e-mail has a login. */
export async function inspectInvite(db: Kysely<Database>, token: string): Promise<{
  customerName: string; email: string; role: MemberRole; invitedBy: string | null; expiresAt: string; hasAccount: boolean;
}> {
  const invite = await findPendingInviteByToken(db, hashToken(token));
  if (!invite) throw new AppError('invite_invalid', INVITE_INVALID_DETAIL);
  return {
    customerName: invite.customer_name, email: invite.email, role: invite.role, invitedBy: invite.invited_by_name,
    expiresAt: toWireTime(invite.expires_at), hasAccount: (await findUserByEmail(db, invite.email)) !== undefined,
  };
}

/**
 * Accepts an invitation and logs the person in to the inviting account. The e-mail is the invitation's, never the
 * caller's choice: a new address gets a new login with `password` (signup's rules); an address that has a login
 * already must give that login's password, and is added to this account besides its own. The link works once: it is
 * claimed by a conditional update in the same transaction that adds the member, so two racing uses cannot both win.
 */
export async function acceptInvite(
  db: Kysely<Database>, input: { token: string; password: string; name?: string | undefined }, scryptLogN: number,
): Promise<{ user: MemberRow; customer: CustomerRow; session: NewSession }> {
  const tokenHash = hashToken(input.token);
  const invite = await findPendingInviteByToken(db, tokenHash);
  if (!invite) throw new AppError('invite_invalid', INVITE_INVALID_DETAIL);
  // A lapsed account's portal is read-only, and a new member is a write (the link stays valid for when it is active).
  const account = assertFound(await findCustomer(db, invite.customer_id), 'Customer');
  if (!isCustomerActive(account)) throw new AppError('payment_required', `${invite.customer_name}'s trial has ended or the account is cancelled, so nobody can join it right now. Ask the owner to continue the plan, then use this link again.`);
  const existing = await findUserByEmail(db, invite.email);
  let passwordHash: string | null = null;
  if (existing) {
    if (!(await verifyPassword(input.password, existing.password_hash))) {
      throw new AppError('validation_failed', `${invite.email} already has a FusionChatalyst login: enter its password to join.`, [{ field: 'password', message: 'This is not the password of your existing login.' }]);
    }
    if (await findUser(db, invite.customer_id, existing.id)) throw new AppError('already_member', `${invite.email} is already a member of ${invite.customer_name}. Log in instead.`);
  } else {
    if (input.password.length < PASSWORD_MIN_CHARS) {
      throw new AppError('validation_failed', `Choose a password of at least ${PASSWORD_MIN_CHARS} characters.`, [{ field: 'password', message: `Use at least ${PASSWORD_MIN_CHARS} characters.` }]);
    }
    passwordHash = await hashPassword(input.password, scryptLogN);
  }
  const now = nowIso();
  const userId = existing?.id ?? newId('usr');
  await db.transaction().execute(async (trx) => {
    const claimed = await trx.updateTable('invites').set({ accepted_at: now, accepted_user_id: null })
      .where('token_hash', '=', tokenHash).where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('invite_invalid', INVITE_INVALID_DETAIL);
    if (!existing && passwordHash) {
      await trx.insertInto('users').values({
        id: userId, customer_id: invite.customer_id, email: invite.email, name: input.name?.trim() || null, password_hash: passwordHash, created_at: now,
      }).execute();
    }
    await trx.insertInto('memberships').values({ customer_id: invite.customer_id, user_id: userId, role: invite.role, created_at: now }).execute();
    await trx.updateTable('invites').set({ accepted_user_id: userId }).where('id', '=', invite.id).execute();
  });
  const user = assertFound(await findUser(db, invite.customer_id, userId), 'User');
  const customer = assertFound(await findCustomer(db, invite.customer_id), 'Customer');
  return { user, customer, session: await createSession(db, user, customer.id) };
}

/**
 * Serialises changes to an account's owners: the first write of the transaction locks the customer row on
 * PostgreSQL (SQLite has one writer anyway), so two owners demoting or removing each other at once cannot both
 * succeed and leave the account with none.
 */
async function lockAccount(trx: Transaction<Database>, customerId: string): Promise<void> {
  const result = await trx.updateTable('customers').set({ updated_at: nowIso() }).where('id', '=', customerId).executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new AppError('not_found', 'Account not found.');
}

const LAST_OWNER_DETAIL = 'An account needs at least one owner: make someone else an owner first.';

/** Makes a member an owner or an agent; the last owner cannot become an agent. Takes effect on their next request. */
export async function changeRole(db: Kysely<Database>, customerId: string, userId: string, role: MemberRole): Promise<MemberView> {
  await db.transaction().execute(async (trx) => {
    await lockAccount(trx, customerId);
    const member = await trx.selectFrom('memberships').select('role').where('customer_id', '=', customerId).where('user_id', '=', userId).executeTakeFirst();
    if (!member) throw new AppError('not_found', 'Member not found.');
    if (member.role === 'owner' && role !== 'owner' && (await countOwners(trx, customerId)) <= 1) throw new AppError('last_owner', LAST_OWNER_DETAIL);
    await trx.updateTable('memberships').set({ role }).where('customer_id', '=', customerId).where('user_id', '=', userId).execute();
  });
  return assertFound((await listMembers(db, customerId, null)).find((m) => m.userId === userId), 'Member');
}

/**
 * Removes a member from the account: their sessions in it end at once, their open inbox streams close, and the
 * conversations they were handling go back to waiting for a person. A user who belongs to no other account is
 * deleted (their login goes with the membership); one who does opens that other account at their next login.
 * The last owner cannot be removed. Returns the conversations handed back, for the live inbox.
 */
export async function removeMember(db: Kysely<Database>, customerId: string, userId: string): Promise<{ releasedConversationIds: string[] }> {
  return db.transaction().execute(async (trx) => {
    await lockAccount(trx, customerId);
    const member = await trx.selectFrom('memberships').select('role').where('customer_id', '=', customerId).where('user_id', '=', userId).executeTakeFirst();
    if (!member) throw new AppError('not_found', 'Member not found.');
    if (member.role === 'owner' && (await countOwners(trx, customerId)) <= 1) throw new AppError('last_owner', LAST_OWNER_DETAIL);
    const now = nowIso();
    const held = await trx.selectFrom('conversations').select('id')
      .where('customer_id', '=', customerId).where('handoff_agent_id', '=', userId).where('handoff_state', '=', 'human').execute();
    if (held.length > 0) {
      await trx.updateTable('conversations').set({ handoff_state: 'waiting_for_human', handoff_agent_id: null, handoff_agent_name: null, handoff_changed_at: now })
        .where('customer_id', '=', customerId).where('handoff_agent_id', '=', userId).where('handoff_state', '=', 'human').execute();
    }
    await trx.deleteFrom('memberships').where('customer_id', '=', customerId).where('user_id', '=', userId).execute();
    await trx.deleteFrom('sessions').where('customer_id', '=', customerId).where('user_id', '=', userId).execute();
    await trx.deleteFrom('inbox_presence').where('customer_id', '=', customerId).where('user_id', '=', userId).execute();
    const other = await trx.selectFrom('memberships').select('customer_id').where('user_id', '=', userId).orderBy('created_at').executeTakeFirst();
    if (!other) {
      await trx.deleteFrom('users').where('id', '=', userId).execute();
    } else {
      await trx.updateTable('users').set({ customer_id: other.customer_id }).where('id', '=', userId).where('customer_id', '=', customerId).execute();
    }
    return { releasedConversationIds: held.map((c) => c.id) };
  });
}

/** Records an open inbox stream of a user ("online in the inbox") and forgets rows a crashed process left behind. */
export async function openPresence(db: Kysely<Database>, customerId: string, userId: string): Promise<string> {
  const id = newId('prs');
  const now = nowIso();
  await db.deleteFrom('inbox_presence').where('customer_id', '=', customerId).where('seen_at', '<', addMs(now, -PRESENCE_STALE_MS)).execute();
  await db.insertInto('inbox_presence').values({ id, customer_id: customerId, user_id: userId, seen_at: now }).execute();
  return id;
}

/** Keeps an open inbox stream counted as online. */
export async function refreshPresence(db: Kysely<Database>, presenceId: string): Promise<void> {
  await db.updateTable('inbox_presence').set({ seen_at: nowIso() }).where('id', '=', presenceId).execute();
}

/** Forgets a closed inbox stream. */
export async function closePresence(db: Kysely<Database>, presenceId: string): Promise<void> {
  await db.deleteFrom('inbox_presence').where('id', '=', presenceId).execute();
}

/** Whether a session still exists (an inbox stream of a removed member, or one signed out, stops). */
export async function isSessionLive(db: Kysely<Database>, sessionId: string): Promise<boolean> {
  const row = await db.selectFrom('sessions').select('id').where('id', '=', sessionId).where('expires_at', '>', nowIso()).executeTakeFirst();
  return row !== undefined;
}
