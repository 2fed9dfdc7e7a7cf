import type { Kysely } from 'kysely';

// API keys get a scope (issue 13, low 7): `read` keys may only read, `write` keys may also change things.
// Every key made before this migration could write, so existing rows (and a key created without a scope) are `write`.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('scope', 'text', (c) => c.notNull().defaultTo('write')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('scope').execute();
}
