import type { Kysely, Selectable } from 'kysely';
import type { Database, KnowledgeSourcesTable } from '../../db/schema.js';
import { assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import { getChatbot } from '../chatbots/chatbots.service.js';
import { assertKnowledgeRoom, bumpKnowledgeVersion, countChars, type KnowledgeRow } from './knowledge.service.js';

/**
 * Knowledge sources: a web page (or file) and the passages taken from it. The passages are ordinary knowledge
 * entries with `source_id` set, so the chat engine searches them like any document; a source's row keeps
 * what a re-sync needs (ETag, Last-Modified, a hash of the extracted text). Excluding a source removes its
 * passages from the index at once and keeps the row, so re-syncs and later imports leave it out; deleting
 * removes both (a later import may bring the page back).
 */

export type SourceRow = Selectable<KnowledgeSourcesTable>;

export type SourcePassage =
  | { kind: 'faq'; question: string; answer: string }
  | { kind: 'document'; title: string; text: string };

export interface SourceView {
  id: string; chatbotId: string; kind: string; url: string | null; title: string; status: string; passages: number;
  lastSyncedAt: string | null; lastError: string | null; createdAt: string; updatedAt: string;
}

/** A source as the portal API shows it. */
export function toSourceView(row: SourceRow): SourceView {
  return {
    id: row.id, chatbotId: row.chatbot_id, kind: row.kind, url: row.url, title: row.title, status: row.status, passages: row.passages,
    lastSyncedAt: toWireTime(row.last_synced_at), lastError: row.last_error, createdAt: toWireTime(row.created_at), updatedAt: toWireTime(row.updated_at),
  };
}

function toEntryRows(customerId: string, chatbotId: string, sourceId: string, passages: SourcePassage[], now: string): KnowledgeRow[] {
  return passages.map((passage, index) => {
    // One millisecond apart, so (created_at, id) order is page order: lists show a source's passages as it reads.
    const createdAt = addMs(now, index - passages.length);
    const base = { id: newId('kb'), customer_id: customerId, chatbot_id: chatbotId, source_id: sourceId, created_at: createdAt, updated_at: createdAt };
    return passage.kind === 'faq'
      ? { ...base, kind: 'faq' as const, title: passage.question, question: passage.question, answer: passage.answer, text: null }
      : { ...base, kind: 'document' as const, title: passage.title, question: null, answer: null, text: passage.text };
  });
}

/** The source of a page URL of a chatbot, if it has one. */
export async function findPageSource(db: Kysely<Database>, chatbotId: string, url: string): Promise<SourceRow | undefined> {
  return db.selectFrom('knowledge_sources').selectAll().where('chatbot_id', '=', chatbotId).where('url', '=', url).executeTakeFirst();
}

export type SaveOutcome = { saved: true; source: SourceRow } | { saved: false; reason: 'excluded'; source: SourceRow };

/**
 * Stores a page's passages as its source (new, or replacing what the page held before) in one transaction
 * with the knowledge version bump, so the next chat turn searches them. Refuses (413 `knowledge_limit`,
 * naming the cap) when they would take the chatbot or the account past its knowledge limits; an excluded
 * source is left alone.
 */
export async function savePageSource(
  db: Kysely<Database>,
  input: { customerId: string; chatbotId: string; url: string; title: string; passages: SourcePassage[]; etag: string | null; lastModified: string | null; contentHash: string },
): Promise<SaveOutcome> {
  return saveSource(db, { ...input, kind: 'page' });
}

/**
 * Stores an uploaded file's passages as a source: a file uploaded again under the same name replaces the
 * passages of the earlier upload (and takes an excluded one back: uploading it is asking for it).
 */
export async function saveFileSource(
  db: Kysely<Database>, input: { customerId: string; chatbotId: string; title: string; passages: SourcePassage[]; contentHash: string },
): Promise<SourceRow> {
  const outcome = await saveSource(db, { ...input, kind: 'file', url: null, etag: null, lastModified: null });
  return outcome.source;
}

async function saveSource(
  db: Kysely<Database>,
  input: { customerId: string; chatbotId: string; kind: 'page' | 'file'; url: string | null; title: string; passages: SourcePassage[]; etag: string | null; lastModified: string | null; contentHash: string },
): Promise<SaveOutcome> {
  return db.transaction().execute(async (trx) => {
    const now = nowIso();
    const existing = await trx.selectFrom('knowledge_sources').selectAll().where('chatbot_id', '=', input.chatbotId)
      .$if(input.url !== null, (qb) => qb.where('url', '=', input.url))
      .$if(input.url === null, (qb) => qb.where('kind', '=', input.kind).where('url', 'is', null).where('title', '=', input.title))
      .executeTakeFirst();
    if (existing?.status === 'excluded' && input.kind === 'page') return { saved: false, reason: 'excluded', source: existing };
    const sourceId = existing?.id ?? newId('src');
    if (existing) await trx.deleteFrom('knowledge_entries').where('source_id', '=', sourceId).execute();
    const source: SourceRow = {
      id: sourceId, customer_id: input.customerId, chatbot_id: input.chatbotId, kind: input.kind, url: input.url, title: input.title, status: 'active',
      passages: input.passages.length, etag: input.etag, last_modified: input.lastModified, content_hash: input.contentHash, last_error: null,
      last_synced_at: now, created_at: existing?.created_at ?? now, updated_at: now,
    };
    if (existing) {
      const { id: _id, created_at: _created, ...changes } = source;
      await trx.updateTable('knowledge_sources').set(changes).where('id', '=', sourceId).execute();
    } else {
      await trx.insertInto('knowledge_sources').values(source).execute();
    }
    const rows = toEntryRows(input.customerId, input.chatbotId, sourceId, input.passages, now);
    await assertKnowledgeRoom(trx, input.customerId, input.chatbotId, rows.length, rows.reduce((sum, row) => sum + countChars(row), 0));
    if (rows.length > 0) await trx.insertInto('knowledge_entries').values(rows).execute();
    await bumpKnowledgeVersion(trx, input.chatbotId);
    return { saved: true, source };
  });
}

/** A re-sync found the page unchanged (304, or the same text): only the sync time and validators move on. */
export async function markSourceUnchanged(db: Kysely<Database>, sourceId: string, validators: { etag: string | null; lastModified: string | null }): Promise<void> {
  const now = nowIso();
  await db.updateTable('knowledge_sources')
    .set((eb) => ({ last_synced_at: now, updated_at: now, last_error: null, etag: validators.etag ?? eb.ref('etag'), last_modified: validators.lastModified ?? eb.ref('last_modified') }))
    .where('id', '=', sourceId).execute();
}

/** A re-sync found the page gone (404, 410) or failing: its passages leave the index, the source says why. */
export async function markSourceFailed(db: Kysely<Database>, source: SourceRow, error: string, options: { dropPassages: boolean }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const now = nowIso();
    if (options.dropPassages) await trx.deleteFrom('knowledge_entries').where('source_id', '=', source.id).execute();
    await trx.updateTable('knowledge_sources')
      .set({ status: options.dropPassages ? 'failed' : source.status, last_error: error.slice(0, 500), updated_at: now, ...(options.dropPassages ? { passages: 0 } : {}) })
      .where('id', '=', source.id).execute();
    if (options.dropPassages) await bumpKnowledgeVersion(trx, source.chatbot_id);
  });
}

/** Lists a chatbot's sources, newest first, optionally by status. */
export async function listSources(
  db: Kysely<Database>, customerId: string, chatbotId: string, filter: { status?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: SourceView[]; nextCursor: string | null }> {
  await getChatbot(db, customerId, chatbotId);
  const cursor = decodeCursor(filter.cursor);
  let query = db.selectFrom('knowledge_sources').selectAll().where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId);
  if (filter.status) query = query.where('status', '=', filter.status as SourceRow['status']);
  if (cursor) {
    query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, toSourceView);
}

/** One source of this customer's chatbot, or 404. */
export async function getSource(db: Kysely<Database>, customerId: string, chatbotId: string, sourceId: string): Promise<SourceRow> {
  const row = await db.selectFrom('knowledge_sources').selectAll()
    .where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId).where('id', '=', sourceId).executeTakeFirst();
  return assertFound(row, 'Knowledge source');
}

/** The passages of a source, in page order. */
export async function listSourcePassages(db: Kysely<Database>, customerId: string, sourceId: string): Promise<KnowledgeRow[]> {
  return db.selectFrom('knowledge_entries').selectAll().where('customer_id', '=', customerId).where('source_id', '=', sourceId).orderBy('created_at').orderBy('id').execute();
}

/**
 * Excludes a source (its passages leave the index now; imports and re-syncs skip it from then on) or takes it
 * back (active again, with no passages until the next re-sync or import fetches it).
 */
export async function setSourceExcluded(db: Kysely<Database>, customerId: string, chatbotId: string, sourceId: string, isExcluded: boolean): Promise<SourceRow> {
  const source = await getSource(db, customerId, chatbotId, sourceId);
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    if (isExcluded) await trx.deleteFrom('knowledge_entries').where('customer_id', '=', customerId).where('source_id', '=', sourceId).execute();
    await trx.updateTable('knowledge_sources')
      // Taken back: the validators are dropped so the next re-sync fetches the page in full.
      .set(isExcluded ? { status: 'excluded', passages: 0, updated_at: now } : { status: 'active', etag: null, last_modified: null, content_hash: null, updated_at: now })
      .where('id', '=', sourceId).execute();
    await bumpKnowledgeVersion(trx, chatbotId);
  });
  return getSource(db, customerId, chatbotId, source.id);
}

/** Deletes a source and its passages. */
export async function deleteSource(db: Kysely<Database>, customerId: string, chatbotId: string, sourceId: string): Promise<void> {
  await getSource(db, customerId, chatbotId, sourceId);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('knowledge_entries').where('customer_id', '=', customerId).where('source_id', '=', sourceId).execute();
    await trx.deleteFrom('knowledge_sources').where('id', '=', sourceId).execute();
    await bumpKnowledgeVersion(trx, chatbotId);
  });
}

/** The page URL of each entry that came from a web page (the chat reply's `sources[].url`). */
export async function findSourceUrls(db: Kysely<Database>, entryIds: string[]): Promise<Map<string, string>> {
  if (entryIds.length === 0) return new Map();
  const rows = await db.selectFrom('knowledge_entries')
    .innerJoin('knowledge_sources', 'knowledge_sources.id', 'knowledge_entries.source_id')
    .select(['knowledge_entries.id as id', 'knowledge_sources.url as url'])
    .where('knowledge_entries.id', 'in', entryIds)
    .where('knowledge_sources.url', 'is not', null)
    .execute();
  return new Map(rows.flatMap((row) => (row.url ? [[row.id, row.url] as const] : [])));
}

/** Page sources of a chatbot a re-sync should fetch (active or failed, never excluded). */
export async function listPageSourcesToSync(db: Kysely<Database>, chatbotId: string, limit: number): Promise<SourceRow[]> {
  return db.selectFrom('knowledge_sources').selectAll()
    .where('chatbot_id', '=', chatbotId).where('kind', '=', 'page').where('status', '!=', 'excluded')
    .orderBy('created_at').limit(limit).execute();
}
