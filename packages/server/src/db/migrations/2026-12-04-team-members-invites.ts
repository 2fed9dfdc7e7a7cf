import { sql, type Kysely } from 'kysely';

// Teammates (issue 15, item 9).
// - `memberships`: who may use which account, and as what (`owner`: everything; `agent`: inbox, conversations,
//   leads). A user can belong to several accounts; `users.customer_id` stays as the account a login opens first.
//   Every existing user owned the account it signed up with, so each becomes that account's owner. The role moves
//   here from `users.role`, which is dropped so nothing can read a stale copy.
// - `invites`: one e-mailed (or shown) invitation link; `token_hash` is the sha256 of the link's token, it works
//   once (`accepted_at`), until `expires_at`, and not after `revoked_at`.
// - `inbox_presence`: one row per open inbox stream, refreshed while it stays open; a row not refreshed for a
//   while belongs to a process that died and no longer counts as online.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('memberships')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['customer_id', 'user_id'])
    .execute();
  await db.schema.createIndex('memberships_user_idx').on('memberships').column('user_id').execute();
  await sql`insert into memberships (customer_id, user_id, role, created_at)
    select customer_id, id, case when role = 'owner' then 'owner' else 'agent' end, created_at from users`.execute(db);
  await db.schema.alterTable('users').dropColumn('role').execute();

  await db.schema
    .createTable('invites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('accepted_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('invites_customer_idx').on('invites').columns(['customer_id', 'email']).execute();

  await db.schema
    .createTable('inbox_presence')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inbox_presence_customer_idx').on('inbox_presence').columns(['customer_id', 'seen_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('inbox_presence').execute();
  await db.schema.dropTable('invites').execute();
  await db.schema.alterTable('users').addColumn('role', 'text', (c) => c.notNull().defaultTo('owner')).execute();
  await sql`update users set role = coalesce((select m.role from memberships m where m.customer_id = users.customer_id and m.user_id = users.id), 'owner')`.execute(db);
  await db.schema.dropTable('memberships').execute();
}
