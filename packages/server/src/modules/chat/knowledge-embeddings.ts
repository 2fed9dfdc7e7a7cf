import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';
import { readStoredSettings, revealLlmApiKey, type StoredSettings } from '../chatbots/chatbots.service.js';
import { loadAllEntries } from '../knowledge/knowledge.service.js';
import { splitIntoPassages } from './engine/index.js';
import type { LlmProvider } from './llm.provider.js';

/**
 * Model embeddings for a chatbot's knowledge (issue 18, item 2): when `settings.llm.embeddingsModel` is set, every
 * passage (as the built-in index splits documents; an FAQ is its question and answer) is embedded by the provider's
 * `/embeddings` endpoint in the background, in batches, and stored per passage with its text hash, so a restart or
 * an unrelated edit re-embeds nothing. At chat time the question is embedded too and the closest passages join the
 * built-in retrieval's (reciprocal-rank fusion) in what the model is offered. Vectors live in a column and are
 * searched in memory per chatbot: see ARCHITECTURE.md for where that stops scaling.
 */

/** Texts per `/embeddings` request. */
export const EMBEDDING_BATCH = 32;
/** Longest text embedded (characters): models cut long inputs anyway, and the cost is per token. */
const EMBEDDING_TEXT_MAX_CHARS = 2_000;
/** A loaded chatbot's vectors are re-read after this long (another process may have embedded more). */
const CACHE_TTL_MS = 60_000;
const CACHE_MAX_CHATBOTS = 200;

export interface KnowledgePassage {
  entryId: string;
  passage: number;
  title: string;
  text: string;
}

/** The passages a chatbot's knowledge is embedded as: the built-in index's split, so both retrievals quote the same text. */
export async function listKnowledgePassages(db: Kysely<Database>, chatbotId: string): Promise<KnowledgePassage[]> {
  const rows = await loadAllEntries(db, chatbotId);
  return rows.flatMap((row) => {
    if (row.kind === 'document') {
      return splitIntoPassages(row.text ?? row.answer ?? '').map((text, passage) => ({ entryId: row.id, passage, title: row.title, text }));
    }
    return [{ entryId: row.id, passage: 0, title: row.title, text: `${row.question ?? row.title}\n${row.answer ?? row.text ?? ''}` }];
  });
}

const hashText = (text: string): string => createHash('sha256').update(text).digest('hex');
const encodeVector = (vector: Float32Array): string => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
function decodeVector(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  const aligned = new Uint8Array(bytes.byteLength - (bytes.byteLength % 4));
  aligned.set(bytes.subarray(0, aligned.byteLength));
  return new Float32Array(aligned.buffer);
}

export interface EmbeddingDeps {
  db: Kysely<Database>;
  provider: LlmProvider;
  /** FC_SECRET_KEY: opens the chatbot's sealed API key. */
  secretKey: Buffer;
}

export interface EmbeddingSyncResult {
  embedded: number;
  removed: number;
  tokens: number;
}

/**
 * Brings one chatbot's stored embeddings up to date with its knowledge: embeds new or changed passages in batches
 * (each batch stored as it arrives, so an interrupted sync resumes where it stopped) and deletes rows of passages
 * that are gone. Throws on a provider error; the caller retries later.
 */
export async function syncKnowledgeEmbeddings(deps: EmbeddingDeps, chatbotId: string): Promise<EmbeddingSyncResult> {
  const chatbot = await deps.db.selectFrom('chatbots').select(['id', 'customer_id', 'settings']).where('id', '=', chatbotId).executeTakeFirst();
  const settings = chatbot ? readStoredSettings(chatbot) : null;
  const model = settings?.llm?.embeddingsModel;
  if (!chatbot || !settings?.llm || !model) return { embedded: 0, removed: 0, tokens: 0 };
  const passages = await listKnowledgePassages(deps.db, chatbotId);
  const stored = await deps.db.selectFrom('knowledge_embeddings').select(['entry_id', 'passage', 'text_hash'])
    .where('chatbot_id', '=', chatbotId).where('model', '=', model).execute();
  const storedHash = new Map(stored.map((row) => [`${row.entry_id}#${row.passage}`, row.text_hash]));
  const wanted = new Set(passages.map((p) => `${p.entryId}#${p.passage}`));
  const missing = passages.filter((p) => storedHash.get(`${p.entryId}#${p.passage}`) !== hashText(p.text));

  let removed = 0;
  for (const row of stored) {
    if (wanted.has(`${row.entry_id}#${row.passage}`)) continue;
    await deps.db.deleteFrom('knowledge_embeddings').where('chatbot_id', '=', chatbotId).where('model', '=', model)
      .where('entry_id', '=', row.entry_id).where('passage', '=', row.passage).execute();
    removed += 1;
  }
  let tokens = 0;
  const apiKey = revealLlmApiKey(deps.secretKey, chatbotId, settings);
  for (let start = 0; start < missing.length; start += EMBEDDING_BATCH) {
    const batch = missing.slice(start, start + EMBEDDING_BATCH);
    const result = await deps.provider.embed({
      baseUrl: settings.llm.baseUrl, apiKey, timeoutMs: settings.llm.timeoutMs, model, input: batch.map((p) => p.text.slice(0, EMBEDDING_TEXT_MAX_CHARS)),
    });
    tokens += (result.usage?.promptTokens ?? 0) + (result.usage?.completionTokens ?? 0);
    const createdAt = nowIso();
    const rows = batch.map((p, i) => {
      const vector = result.vectors[i] ?? new Float32Array(0);
      return {
        chatbot_id: chatbotId, entry_id: p.entryId, passage: p.passage, model, customer_id: chatbot.customer_id,
        text_hash: hashText(p.text), dims: vector.length, vector: encodeVector(vector), created_at: createdAt,
      };
    });
    await deps.db.insertInto('knowledge_embeddings').values(rows)
      .onConflict((oc) => oc.columns(['chatbot_id', 'entry_id', 'passage', 'model']).doUpdateSet((eb) => ({
        text_hash: eb.ref('excluded.text_hash'), dims: eb.ref('excluded.dims'), vector: eb.ref('excluded.vector'), created_at: eb.ref('excluded.created_at'),
      })))
      .execute();
  }
  return { embedded: missing.length, removed, tokens };
}

export interface EmbeddedPassage extends KnowledgePassage {
  vector: Float32Array;
}

interface LoadedVectors {
  model: string;
  loadedAt: number;
  items: EmbeddedPassage[];
}

/** A chatbot's stored vectors, read from the database at most once a minute per chatbot and process. */
export class KnowledgeVectorCache {
  private readonly loaded = new Map<string, LoadedVectors>();

  constructor(private readonly db: Kysely<Database>, private readonly now: () => number = Date.now) {}

  async get(chatbotId: string, model: string): Promise<LoadedVectors['items']> {
    const cached = this.loaded.get(chatbotId);
    if (cached && cached.model === model && this.now() - cached.loadedAt < CACHE_TTL_MS) return cached.items;
    const [rows, passages] = await Promise.all([
      this.db.selectFrom('knowledge_embeddings').select(['entry_id', 'passage', 'vector', 'text_hash']).where('chatbot_id', '=', chatbotId).where('model', '=', model).execute(),
      listKnowledgePassages(this.db, chatbotId),
    ]);
    // Only vectors of the passages as they read now: an edited entry's old vector is not its meaning any more.
    const current = new Map(passages.map((p) => [`${p.entryId}#${p.passage}`, p]));
    const items = rows.flatMap((row) => {
      const passage = current.get(`${row.entry_id}#${row.passage}`);
      return passage && hashText(passage.text) === row.text_hash ? [{ ...passage, vector: decodeVector(row.vector) }] : [];
    });
    if (this.loaded.size >= CACHE_MAX_CHATBOTS && !this.loaded.has(chatbotId)) {
      const oldest = this.loaded.keys().next().value;
      if (oldest !== undefined) this.loaded.delete(oldest);
    }
    this.loaded.set(chatbotId, { model, loadedAt: this.now(), items });
    return items;
  }

  /** Forgets a chatbot's vectors (after its sync wrote new ones in this process). */
  invalidate(chatbotId: string): void {
    this.loaded.delete(chatbotId);
  }
}

/** The stored passages closest to a query vector, best first: entry, passage position and cosine. */
export function nearestPassages(items: readonly EmbeddedPassage[], query: Float32Array, limit: number): (KnowledgePassage & { score: number })[] {
  const scored = items.filter((item) => item.vector.length === query.length).map((item) => {
    let dot = 0;
    for (let d = 0; d < query.length; d++) dot += (item.vector[d] ?? 0) * (query[d] ?? 0);
    return { entryId: item.entryId, passage: item.passage, title: item.title, text: item.text, score: dot };
  });
  return scored.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** Whether a chatbot's settings name an embeddings model. */
export function embeddingsModelOf(settings: StoredSettings): string | null {
  return settings.llm?.embeddingsModel ?? null;
}

export interface EmbeddingSyncLoop {
  start(): void;
  stop(): Promise<void>;
  /** Runs one pass now (tests, and right after start). */
  runOnce(): Promise<void>;
}

/** Longest wait after a chatbot's sync failed (it doubles from the interval up to this). */
const MAX_BACKOFF_MS = 30 * 60_000;

/**
 * The background job: every `intervalMs`, each chatbot that names an embeddings model and whose knowledge changed
 * since its last good sync (or never synced) is synced, one chatbot at a time; a failing chatbot waits twice as
 * long each time. Several processes may run it: rows are upserts, so double work costs tokens, never correctness.
 */
export function createEmbeddingSyncLoop(
  deps: EmbeddingDeps & { log: { warn(details: Record<string, unknown>, message: string): void }; intervalMs: number; onSynced?: (chatbotId: string) => void },
): EmbeddingSyncLoop {
  const synced = new Map<string, number>();
  const failures = new Map<string, { count: number; retryAt: number }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function pass(): Promise<void> {
    const chatbots = await deps.db.selectFrom('chatbots').select(['id', 'knowledge_version', 'settings'])
      .where('settings', 'like', '%embeddingsModel%').execute();
    for (const chatbot of chatbots) {
      if (timer === null && running === null) return;
      if (!embeddingsModelOf(readStoredSettings(chatbot))) continue;
      const failed = failures.get(chatbot.id);
      if (failed && failed.retryAt > Date.now()) continue;
      if (synced.get(chatbot.id) === chatbot.knowledge_version && !failed) continue;
      try {
        const result = await syncKnowledgeEmbeddings(deps, chatbot.id);
        synced.set(chatbot.id, chatbot.knowledge_version);
        failures.delete(chatbot.id);
        if (result.embedded > 0 || result.removed > 0) deps.onSynced?.(chatbot.id);
      } catch (error) {
        const count = (failed?.count ?? 0) + 1;
        failures.set(chatbot.id, { count, retryAt: Date.now() + Math.min(MAX_BACKOFF_MS, deps.intervalMs * 2 ** count) });
        deps.log.warn({ chatbotId: chatbot.id, attempt: count, reason: error instanceof Error ? error.message : String(error) }, 'embedding the knowledge failed; will retry');
      }
    }
  }

  async function runOnce(): Promise<void> {
    if (running) return running;
    running = pass().catch((error: unknown) => deps.log.warn({ err: error }, 'embedding sync pass failed')).finally(() => {
      running = null;
    });
    return running;
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => void runOnce(), deps.intervalMs);
      void runOnce();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    runOnce,
  };
}
