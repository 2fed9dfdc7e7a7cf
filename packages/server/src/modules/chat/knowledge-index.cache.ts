import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/schema.js';
import { buildKnowledgeIndexCooperatively, type KnowledgeIndex } from './engine/index.js';

interface CachedIndex {
  version: number;
  index: KnowledgeIndex;
}

export interface KnowledgeIndexCacheOptions {
  /**
   * How long a turn waits for a rebuild when an older index of the chatbot is at hand; past it the older
   * index answers and the new one replaces it when ready. Small knowledge bases rebuild well inside it, so
   * their next turn sees the change; a large one never holds its own visitors longer than this.
   */
  freshWaitMs?: number;
  logger?: Pick<FastifyBaseLogger, 'error'>;
}

const DEFAULT_FRESH_WAIT_MS = 1_000;

/**
 * One search index per chatbot per process. Every knowledge change (and every approved paraphrase) bumps the
 * chatbot's `knowledge_version` in the database; a turn that sees a newer version than the cached one
 * starts a rebuild, so every process answers from current knowledge without any cross-process messaging.
 *
 * Rebuilds stay off the request path's critical section: at most one runs per chatbot (concurrent turns and
 * further changes share it, and a change committed meanwhile starts the next one), it is built in slices
 * that give the event loop back (other customers' turns and /api/health run between them), and while it
 * runs the chatbot's previous index keeps answering (stale-while-rebuild, bounded by `freshWaitMs`). Only a
 * chatbot's first turn in a process waits for a whole build. A failed rebuild keeps the previous index.
 */
export class KnowledgeIndexCache {
  private readonly cached = new Map<string, CachedIndex>();
  private readonly building = new Map<string, Promise<CachedIndex>>();
  private readonly freshWaitMs: number;

  constructor(private readonly db: Kysely<Database>, private readonly options: KnowledgeIndexCacheOptions = {}) {
    this.freshWaitMs = options.freshWaitMs ?? DEFAULT_FRESH_WAIT_MS;
  }

  /** The index for `chatbotId` at `version` (or newer), or, while that builds, the chatbot's previous one. */
  async get(chatbotId: string, version: number): Promise<KnowledgeIndex> {
    const hit = this.cached.get(chatbotId);
    if (hit && hit.version >= version) return hit.index;
    const pending = this.rebuild(chatbotId);
    if (!hit) return (await pending).index;
    if (this.freshWaitMs <= 0) return hit.index;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<null>((resolve) => { timer = setTimeout(resolve, this.freshWaitMs, null); });
    const fresh = await Promise.race([pending.catch(() => null), waited]).finally(() => clearTimeout(timer));
    return (fresh ?? hit).index;
  }

  /** Resolves when no rebuild of `chatbotId` is running (tests and benchmarks wait for the fresh index). */
  async settled(chatbotId: string): Promise<void> {
    await this.building.get(chatbotId)?.catch(() => undefined);
  }

  /** Drops a chatbot's index (deleted chatbot). */
  forget(chatbotId: string): void {
    this.cached.delete(chatbotId);
  }

  /** The running rebuild of a chatbot's index, or a new one. */
  private rebuild(chatbotId: string): Promise<CachedIndex> {
    const running = this.building.get(chatbotId);
    if (running) return running;
    const pending = this.build(chatbotId).finally(() => this.building.delete(chatbotId));
    // Turns that stopped waiting (stale-while-rebuild) leave nobody awaiting it: a failure is logged here.
    pending.catch((error: unknown) => this.options.logger?.error({ err: error, chatbotId }, 'knowledge index rebuild failed; the previous index keeps answering'));
    this.building.set(chatbotId, pending);
    return pending;
  }

  private async build(chatbotId: string): Promise<CachedIndex> {
    // Read the version first: a change committed while we load makes the next turn rebuild again.
    const chatbot = await this.db.selectFrom('chatbots').select('knowledge_version').where('id', '=', chatbotId).executeTakeFirst();
    const [entries, learned] = await Promise.all([
      this.db.selectFrom('knowledge_entries').select(['id', 'kind', 'title', 'question', 'answer', 'text']).where('chatbot_id', '=', chatbotId).orderBy('created_at').orderBy('id').execute(),
      this.db.selectFrom('learned_examples').select(['entry_id', 'question']).where('chatbot_id', '=', chatbotId).where('status', '=', 'approved').execute(),
    ]);
    const weights = new Map<string, { question: string; entryId: string; weight: number }>();
    for (const row of learned) {
      const key = `${row.entry_id}\u0000${row.question.toLowerCase()}`;
      const existing = weights.get(key);
      if (existing) existing.weight += 1;
      else weights.set(key, { question: row.question, entryId: row.entry_id, weight: 1 });
    }
    const built = { version: chatbot?.knowledge_version ?? 0, index: await buildKnowledgeIndexCooperatively(entries, [...weights.values()]) };
    // A slower, older build finishing after a newer one must not replace it.
    const current = this.cached.get(chatbotId);
    if (current && current.version > built.version) return current;
    this.cached.set(chatbotId, built);
    return built;
  }
}
