import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import { bumpKnowledgeVersion } from '../knowledge/knowledge.service.js';

/**
 * Paraphrases a thumbs-up suggests. A visitor liking an answer proposes their wording as another way to ask
 * the entry that answered; nothing changes for other visitors until the owner approves it in Training
 * (anonymous visitors must not steer answers). Approving or withdrawing an approved one bumps the
 * knowledge version, so every process rebuilds its index from the next turn on.
 */
export type ParaphraseStatus = 'suggested' | 'approved' | 'dismissed';

export interface ParaphraseView {
  id: string; chatbotId: string; conversationId: string; messageId: string; question: string;
  entry: { id: string; title: string }; status: ParaphraseStatus; createdAt: string; decidedAt: string | null;
}

/** Records a thumbs-up's suggestion (once per bot message); the entry must belong to the same chatbot. */
export async function suggestParaphrase(
  trx: Transaction<Database>,
  suggestion: { customerId: string; chatbotId: string; entryId: string | undefined; messageId: string; question: string | undefined; now: string },
): Promise<void> {
  const question = suggestion.question?.trim();
  if (!suggestion.entryId || !question) return;
  const entry = await trx.selectFrom('knowledge_entries').select('id').where('id', '=', suggestion.entryId).where('chatbot_id', '=', suggestion.chatbotId).executeTakeFirst();
  const existing = await trx.selectFrom('learned_examples').select('id').where('message_id', '=', suggestion.messageId).executeTakeFirst();
  if (!entry || existing) return;
  await trx.insertInto('learned_examples').values({
    id: newId('lrn'), customer_id: suggestion.customerId, chatbot_id: suggestion.chatbotId, entry_id: entry.id, message_id: suggestion.messageId,
    question, status: 'suggested', created_at: suggestion.now, decided_at: null,
  }).execute();
}

/** A thumbs-up changed to a thumbs-down withdraws its suggestion, unless the owner already decided on it. */
export async function withdrawSuggestion(trx: Transaction<Database>, messageId: string): Promise<void> {
  await trx.deleteFrom('learned_examples').where('message_id', '=', messageId).where('status', '=', 'suggested').execute();
}

function paraphraseQuery(db: Kysely<Database>, customerId: string) {
  return db.selectFrom('learned_examples')
    .innerJoin('knowledge_entries', 'knowledge_entries.id', 'learned_examples.entry_id')
    .innerJoin('messages', 'messages.id', 'learned_examples.message_id')
    .select([
      'learned_examples.id', 'learned_examples.chatbot_id', 'learned_examples.message_id', 'learned_examples.question', 'learned_examples.status',
      'learned_examples.created_at', 'learned_examples.decided_at', 'learned_examples.entry_id', 'knowledge_entries.title as entry_title',
      'messages.conversation_id',
    ])
    .where('learned_examples.customer_id', '=', customerId);
}

type ParaphraseRow = Awaited<ReturnType<ReturnType<typeof paraphraseQuery>['executeTakeFirstOrThrow']>>;

function toParaphraseView(row: ParaphraseRow): ParaphraseView {
  return {
    id: row.id, chatbotId: row.chatbot_id, conversationId: row.conversation_id, messageId: row.message_id, question: row.question,
    entry: { id: row.entry_id, title: row.entry_title }, status: row.status, createdAt: toWireTime(row.created_at), decidedAt: toWireTime(row.decided_at),
  };
}

/** Suggested (and decided) paraphrases, newest first. */
export async function listParaphrases(
  db: Kysely<Database>, customerId: string,
  filter: { status?: ParaphraseStatus | undefined; chatbotId?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: ParaphraseView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(filter.cursor);
  let query = paraphraseQuery(db, customerId);
  if (filter.status) query = query.where('learned_examples.status', '=', filter.status);
  if (filter.chatbotId) query = query.where('learned_examples.chatbot_id', '=', filter.chatbotId);
  if (cursor) {
    query = query.where((eb) => eb.or([
      eb('learned_examples.created_at', '<', cursor.createdAt),
      eb.and([eb('learned_examples.created_at', '=', cursor.createdAt), eb('learned_examples.id', '<', cursor.id)]),
    ]));
  }
  const rows = await query.orderBy('learned_examples.created_at', 'desc').orderBy('learned_examples.id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, toParaphraseView);
}

async function getParaphrase(db: Kysely<Database>, customerId: string, id: string): Promise<ParaphraseRow> {
  return assertFound(await paraphraseQuery(db, customerId).where('learned_examples.id', '=', id).executeTakeFirst(), 'Paraphrase');
}

/**
 * The owner's decision on a paraphrase: `approved` teaches the index (optionally with the wording corrected),
 * `dismissed` keeps it out (and takes back an earlier approval).
 */
export async function decideParaphrase(
  db: Kysely<Database>, customerId: string, id: string, decision: { status: 'approved' | 'dismissed'; question?: string | undefined },
): Promise<ParaphraseView> {
  const current = await getParaphrase(db, customerId, id);
  const question = decision.question?.trim() ?? current.question;
  if (question === '') throw new AppError('validation_failed', 'The paraphrase is empty.', [{ field: 'body.question', message: 'is required' }]);
  const changesIndex = decision.status === 'approved' || current.status === 'approved';
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('learned_examples').set({ status: decision.status, question, decided_at: nowIso() })
      .where('customer_id', '=', customerId).where('id', '=', id).execute();
    if (changesIndex) await bumpKnowledgeVersion(trx, current.chatbot_id);
  });
  return toParaphraseView(await getParaphrase(db, customerId, id));
}
