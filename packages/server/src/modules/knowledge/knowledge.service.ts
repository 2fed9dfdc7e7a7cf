import { parse as parseCsv } from 'csv-parse/sync';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, KnowledgeEntriesTable } from '../../db/schema.js';
import { AppError, assertFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import { getChatbot } from '../chatbots/chatbots.service.js';
import {
  MAX_ANSWER_CHARS, MAX_DOCUMENT_CHARS, MAX_IMPORT_DOCUMENTS, MAX_IMPORT_FAQS, MAX_QUESTION_CHARS, MAX_TITLE_CHARS,
} from './knowledge.schemas.js';

export type KnowledgeRow = Selectable<KnowledgeEntriesTable>;
type NewEntry = { kind: 'faq'; question: string; answer: string } | { kind: 'document'; title: string; text: string };

const INSERT_BATCH_ROWS = 500;
const MAX_ROW_ERRORS = 50;

export interface EntryView {
  id: string; chatbotId: string; kind: string; title: string; question: string | null; answer: string | null;
  text: string | null; createdAt: string; updatedAt: string;
}

/** A knowledge entry as the portal API shows it. */
export function toEntryView(row: KnowledgeRow): EntryView {
  return {
    id: row.id, chatbotId: row.chatbot_id, kind: row.kind, title: row.title, question: row.question, answer: row.answer,
    text: row.text, createdAt: toWireTime(row.created_at), updatedAt: toWireTime(row.updated_at),
  };
}

function toRow(customerId: string, chatbotId: string, entry: NewEntry, now: string): KnowledgeRow {
  const base = { id: newId('kb'), customer_id: customerId, chatbot_id: chatbotId, source_id: null, created_at: now, updated_at: now };
  return entry.kind === 'faq'
    ? { ...base, kind: 'faq', title: entry.question.trim(), question: entry.question.trim(), answer: entry.answer.trim(), text: null }
    : { ...base, kind: 'document', title: entry.title.trim(), question: null, answer: null, text: entry.text.trim() };
}

/**
 * Total knowledge a chatbot and an account may hold. A chatbot's whole knowledge is indexed in memory by every
 * API process, so one tenant's 20 MB must not cost every process (and every other tenant) seconds per rebuild.
 */
export const KNOWLEDGE_LIMITS = {
  entriesPerChatbot: 5_000,
  charsPerChatbot: 5_000_000,
  entriesPerAccount: 20_000,
  charsPerAccount: 20_000_000,
} as const;

/** Characters an entry adds to its chatbot's knowledge (what `KNOWLEDGE_LIMITS` counts). */
export function countChars(row: Pick<KnowledgeRow, 'kind' | 'question' | 'answer' | 'text' | 'title'>): number {
  return (row.question?.length ?? 0) + (row.answer?.length ?? 0) + (row.text?.length ?? 0) + (row.kind === 'document' ? row.title.length : 0);
}

/** Refuses (413, naming the limit) a change that would take a chatbot or its account past `KNOWLEDGE_LIMITS`. */
export async function assertKnowledgeRoom(trx: Transaction<Database>, customerId: string, chatbotId: string, addedEntries: number, addedChars: number): Promise<void> {
  const totals = (scope: 'chatbot' | 'account') => trx.selectFrom('knowledge_entries')
    .select([
      sql<number>`count(*)`.as('entries'),
      sql<number>`coalesce(sum(length(coalesce(question, '')) + length(coalesce(answer, '')) + length(coalesce(text, '')) + case when kind = 'document' then length(title) else 0 end), 0)`.as('chars'),
    ])
    .where('customer_id', '=', customerId)
    .$if(scope === 'chatbot', (qb) => qb.where('chatbot_id', '=', chatbotId))
    .executeTakeFirstOrThrow();
  const [chatbot, account] = await Promise.all([totals('chatbot'), totals('account')]);
  const checks = [
    { now: Number(chatbot.entries) + addedEntries, max: KNOWLEDGE_LIMITS.entriesPerChatbot, what: 'entries per chatbot' },
    { now: Number(chatbot.chars) + addedChars, max: KNOWLEDGE_LIMITS.charsPerChatbot, what: 'characters of knowledge per chatbot' },
    { now: Number(account.entries) + addedEntries, max: KNOWLEDGE_LIMITS.entriesPerAccount, what: 'entries per account' },
    { now: Number(account.chars) + addedChars, max: KNOWLEDGE_LIMITS.charsPerAccount, what: 'characters of knowledge per account' },
  ];
  const over = checks.find((check) => addedEntries + addedChars > 0 && check.now > check.max);
  if (over) throw new AppError('knowledge_limit', `Knowledge limit reached: at most ${over.max.toLocaleString('en-US')} ${over.what} (this change would make ${over.now.toLocaleString('en-US')}). Nothing was saved.`);
}

/**
 * Every knowledge change bumps the chatbot's `knowledge_version` in the same transaction: each process keeps
 * an index per chatbot and rebuilds it when the version it sees on the chatbot row moves on.
 */
export async function bumpKnowledgeVersion(trx: Transaction<Database> | Kysely<Database>, chatbotId: string): Promise<void> {
  await trx.updateTable('chatbots').set((eb) => ({ knowledge_version: eb('knowledge_version', '+', 1), updated_at: nowIso() })).where('id', '=', chatbotId).execute();
}

async function insertEntries(trx: Transaction<Database>, rows: KnowledgeRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) {
    await trx.insertInto('knowledge_entries').values(rows.slice(start, start + INSERT_BATCH_ROWS)).execute();
  }
}

/** Lists a chatbot's entries, newest first, optionally filtered by kind and a text search. */
export async function listEntries(
  db: Kysely<Database>, customerId: string, chatbotId: string,
  filter: { kind?: string | undefined; q?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: EntryView[]; nextCursor: string | null }> {
  await getChatbot(db, customerId, chatbotId);
  const cursor = decodeCursor(filter.cursor);
  let query = db.selectFrom('knowledge_entries').selectAll().where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId);
  if (filter.kind) query = query.where('kind', '=', filter.kind as KnowledgeRow['kind']);
  const term = filter.q?.trim().toLowerCase();
  if (term) {
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or(['title', 'question', 'answer', 'text'].map((column) =>
      eb(sql`lower(${sql.ref(column)})`, 'like', sql`${pattern} escape '\\'`))));
  }
  if (cursor) {
    query = query.where((eb) => eb.or([
      eb('created_at', '<', cursor.createdAt),
      eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)]),
    ]));
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, toEntryView);
}

/** Loads one entry of this customer's chatbot or answers 404. */
export async function getEntry(db: Kysely<Database>, customerId: string, chatbotId: string, entryId: string): Promise<KnowledgeRow> {
  const row = await db.selectFrom('knowledge_entries').selectAll()
    .where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId).where('id', '=', entryId).executeTakeFirst();
  return assertFound(row, 'Knowledge entry');
}

/** Adds one FAQ pair or document. */
export async function createEntry(db: Kysely<Database>, customerId: string, chatbotId: string, entry: NewEntry): Promise<KnowledgeRow> {
  await getChatbot(db, customerId, chatbotId);
  const row = toRow(customerId, chatbotId, entry, nowIso());
  await db.transaction().execute(async (trx) => {
    await assertKnowledgeRoom(trx, customerId, chatbotId, 1, countChars(row));
    await trx.insertInto('knowledge_entries').values(row).execute();
    await bumpKnowledgeVersion(trx, chatbotId);
  });
  return row;
}

/** Edits an entry; fields that do not belong to its kind are refused. */
export async function updateEntry(
  db: Kysely<Database>, customerId: string, chatbotId: string, entryId: string,
  input: { question?: string | undefined; answer?: string | undefined; title?: string | undefined; text?: string | undefined },
): Promise<KnowledgeRow> {
  const current = await getEntry(db, customerId, chatbotId, entryId);
  const isDocument = current.kind === 'document';
  const wrong = isDocument ? (['question', 'answer'] as const).filter((f) => input[f] !== undefined) : (['title', 'text'] as const).filter((f) => input[f] !== undefined);
  if (wrong.length > 0) {
    throw new AppError('validation_failed', `A ${current.kind} entry has no ${wrong.join(' or ')}.`, wrong.map((f) => ({ field: `body.${f}`, message: `is not a field of a ${current.kind} entry` })));
  }
  const question = input.question?.trim() ?? current.question;
  const updated: KnowledgeRow = {
    ...current,
    question,
    answer: input.answer?.trim() ?? current.answer,
    title: isDocument ? input.title?.trim() ?? current.title : question ?? current.title,
    text: input.text?.trim() ?? current.text,
    updated_at: nowIso(),
  };
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('knowledge_entries')
      .set({ question: updated.question, answer: updated.answer, title: updated.title, text: updated.text, updated_at: updated.updated_at })
      .where('customer_id', '=', customerId).where('id', '=', entryId).execute();
    await bumpKnowledgeVersion(trx, chatbotId);
  });
  return updated;
}

/** Deletes an entry. */
export async function deleteEntry(db: Kysely<Database>, customerId: string, chatbotId: string, entryId: string): Promise<void> {
  await getEntry(db, customerId, chatbotId, entryId);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('knowledge_entries').where('customer_id', '=', customerId).where('id', '=', entryId).execute();
    await bumpKnowledgeVersion(trx, chatbotId);
  });
}

function readString(row: Record<string, unknown>, key: string, max: number, where: string, errors: FieldError[]): string | null {
  const value = row[key];
  if (typeof value !== 'string' || value.trim() === '') {
    errors.push({ field: `${where}.${key}`, message: 'is required' });
    return null;
  }
  if (value.length > max) {
    errors.push({ field: `${where}.${key}`, message: `must be at most ${max} characters` });
    return null;
  }
  return value;
}

/** Checks every imported row and returns them all, or throws one error listing the bad rows: nothing half-imported. */
export function validateImportRows(input: { faqs?: unknown[] | undefined; documents?: unknown[] | undefined }): NewEntry[] {
  const errors: FieldError[] = [];
  const entries: NewEntry[] = [];
  (input.faqs ?? []).forEach((raw, index) => {
    const where = `faqs[${index}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push({ field: where, message: 'must be an object with question and answer' });
      return;
    }
    const row = raw as Record<string, unknown>;
    const question = readString(row, 'question', MAX_QUESTION_CHARS, where, errors);
    const answer = readString(row, 'answer', MAX_ANSWER_CHARS, where, errors);
    if (question !== null && answer !== null) entries.push({ kind: 'faq', question, answer });
  });
  (input.documents ?? []).forEach((raw, index) => {
    const where = `documents[${index}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push({ field: where, message: 'must be an object with title and text' });
      return;
    }
    const row = raw as Record<string, unknown>;
    const title = readString(row, 'title', MAX_TITLE_CHARS, where, errors);
    const text = readString(row, 'text', MAX_DOCUMENT_CHARS, where, errors);
    if (title !== null && text !== null) entries.push({ kind: 'document', title, text });
  });
  if (errors.length > 0) {
    throw new AppError('unprocessable', `${errors.length} row problem(s); nothing was imported. First: ${errors[0]?.field} ${errors[0]?.message}.`, errors.slice(0, MAX_ROW_ERRORS));
  }
  if (entries.length === 0) throw new AppError('validation_failed', 'Nothing to import: send faqs, documents or a CSV of question,answer rows.');
  return entries;
}

/** Parses a CSV of `question,answer` (header row required; extra columns refused) into FAQ rows. */
export function parseFaqCsv(text: string): { faqs: Record<string, unknown>[] } {
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (error) {
    throw new AppError('validation_failed', `The CSV could not be read: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  const columns = (header ?? []).map((cell) => cell.toLowerCase());
  if (columns[0] !== 'question' || columns[1] !== 'answer' || columns.length !== 2) {
    throw new AppError('validation_failed', 'The CSV must start with the header row "question,answer".');
  }
  if (rows.length > MAX_IMPORT_FAQS) throw new AppError('payload_too_large', `At most ${MAX_IMPORT_FAQS} rows per import.`);
  const errors: FieldError[] = [];
  const faqs = rows.map((cells, index) => {
    // Row numbers as a spreadsheet shows them: the header is row 1.
    if (cells.length !== 2) errors.push({ field: `row ${index + 2}`, message: `has ${cells.length} columns, expected 2` });
    return { question: cells[0] ?? '', answer: cells[1] ?? '' };
  });
  if (errors.length > 0) throw new AppError('unprocessable', `${errors.length} malformed CSV row(s); nothing was imported.`, errors.slice(0, MAX_ROW_ERRORS));
  return { faqs };
}

/** Imports FAQ pairs and documents in one transaction. */
export async function importEntries(
  db: Kysely<Database>, customerId: string, chatbotId: string, input: { faqs?: unknown[] | undefined; documents?: unknown[] | undefined },
): Promise<{ imported: number }> {
  await getChatbot(db, customerId, chatbotId);
  if ((input.documents?.length ?? 0) > MAX_IMPORT_DOCUMENTS) throw new AppError('payload_too_large', `At most ${MAX_IMPORT_DOCUMENTS} documents per import.`);
  const entries = validateImportRows(input);
  const now = nowIso();
  const rows = entries.map((entry) => toRow(customerId, chatbotId, entry, now));
  await db.transaction().execute(async (trx) => {
    await assertKnowledgeRoom(trx, customerId, chatbotId, rows.length, rows.reduce((sum, row) => sum + countChars(row), 0));
    await insertEntries(trx, rows);
    await bumpKnowledgeVersion(trx, chatbotId);
  });
  return { imported: rows.length };
}

/** All entries of a chatbot, for building its search index. */
export async function loadAllEntries(db: Kysely<Database>, chatbotId: string): Promise<KnowledgeRow[]> {
  return db.selectFrom('knowledge_entries').selectAll().where('chatbot_id', '=', chatbotId).orderBy('created_at').orderBy('id').execute();
}
