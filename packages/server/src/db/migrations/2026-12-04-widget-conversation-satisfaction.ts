import type { Kysely } from 'kysely';

// Satisfaction after a person resolved a conversation (issue 15, item 10): the visitor's 1–5 score and optional
// comment are stored on the conversation, with when they rated (compared with the escalation's `resolved_at`: one
// rating per resolution) and the public name of the person who resolved it. `messages.kind` marks the notices a person's
// action leaves (`claimed`, `handed_back`, `resolved`), so the widget words them in the visitor's language and knows when
// to ask. Notices written before this migration carry no kind: those conversations can still be rated through the API,
// the widget just does not ask.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('satisfaction_score', 'integer').execute();
  await db.schema.alterTable('conversations').addColumn('satisfaction_comment', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('satisfaction_rated_at', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('satisfaction_agent_name', 'text').execute();
  await db.schema.alterTable('messages').addColumn('kind', 'text').execute();
  // The dashboard's average and count over a period.
  await db.schema.createIndex('conversations_satisfaction_idx').on('conversations').columns(['customer_id', 'satisfaction_rated_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_satisfaction_idx').execute();
  await db.schema.alterTable('messages').dropColumn('kind').execute();
  for (const column of ['satisfaction_agent_name', 'satisfaction_rated_at', 'satisfaction_comment', 'satisfaction_score']) {
    await db.schema.alterTable('conversations').dropColumn(column).execute();
  }
}
