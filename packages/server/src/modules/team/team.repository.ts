import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, InvitesTable, MemberRole } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';

export type InviteRow = Selectable<InvitesTable>;

export interface MemberListRow {
  user_id: string;
  email: string;
  name: string | null;
  role: MemberRole;
  created_at: string;
  last_seen_at: string | null;
}

/** The account's members, owners first, then by when they joined, with when each last had the inbox open. */
export async function listMemberRows(db: Kysely<Database>, customerId: string): Promise<MemberListRow[]> {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select((eb) => [
      'memberships.user_id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at',
      eb.selectFrom('inbox_presence').select((p) => p.fn.max('inbox_presence.seen_at').as('seen'))
        .whereRef('inbox_presence.user_id', '=', 'memberships.user_id').where('inbox_presence.customer_id', '=', customerId).as('last_seen_at'),
    ])
    .where('memberships.customer_id', '=', customerId)
    .orderBy('memberships.role', 'desc')
    .orderBy('memberships.created_at')
    .orderBy('memberships.user_id')
    .execute() as Promise<MemberListRow[]>;
}

/** How many owners the account has (read inside the transaction that changes one). */
export async function countOwners(trx: Transaction<Database>, customerId: string): Promise<number> {
  const row = await trx.selectFrom('memberships').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_id', '=', customerId).where('role', '=', 'owner').executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Invitations still waiting to be accepted: not accepted, not revoked, not expired. */
export async function listPendingInvites(db: Kysely<Database>, customerId: string): Promise<(InviteRow & { invited_by_name: string | null })[]> {
  return db
    .selectFrom('invites')
    .leftJoin('users', 'users.id', 'invites.invited_by_user_id')
    .selectAll('invites')
    .select((eb) => eb.fn.coalesce('users.name', 'users.email').as('invited_by_name'))
    .where('invites.customer_id', '=', customerId)
    .where('invites.accepted_at', 'is', null)
    .where('invites.revoked_at', 'is', null)
    .where('invites.expires_at', '>', nowIso())
    .orderBy('invites.created_at', 'desc')
    .orderBy('invites.id', 'desc')
    .execute();
}

/** A pending invitation by the hash of its link's token, whatever account it is for. */
export async function findPendingInviteByToken(db: Kysely<Database>, tokenHash: string): Promise<(InviteRow & { customer_name: string; invited_by_name: string | null }) | undefined> {
  return db
    .selectFrom('invites')
    .innerJoin('customers', 'customers.id', 'invites.customer_id')
    .leftJoin('users', 'users.id', 'invites.invited_by_user_id')
    .selectAll('invites')
    .select((eb) => ['customers.name as customer_name', eb.fn.coalesce('users.name', 'users.email').as('invited_by_name')])
    .where('invites.token_hash', '=', tokenHash)
    .where('invites.accepted_at', 'is', null)
    .where('invites.revoked_at', 'is', null)
    .where('invites.expires_at', '>', nowIso())
    .executeTakeFirst();
}

/** Whether a user with this e-mail is already a member of the account. */
export async function isMemberByEmail(db: Kysely<Database>, customerId: string, email: string): Promise<boolean> {
  const row = await db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('users.id')
    .where('memberships.customer_id', '=', customerId).where('users.email', '=', email).executeTakeFirst();
  return row !== undefined;
}
