import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { buildKnowledgeIndexCooperatively, type KnowledgeIndex } from './engine/index.js';

interface CachedIndex {
  version: number;
  index: KnowledgeIndex;
}

/**
 * One search index per chatbot per process. Every knowledge change (and every approved paraphrase) bumps the
 * chatbot's `knowledge_version` in the database; a turn that sees a newer version than the cached one
 * rebuilds, so every process answers from current knowledge without any cross-process messaging.
 * Concurrent turns for the same stale chatbot share one rebuild.
 */
export class KnowledgeIndexCache {
  private readonly cached = new Map<string, CachedIndex>();
  private readonly building = new Map<string, Promise<CachedIndex>>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The index for `chatbotId` at `version` (or newer). */
  async get(chatbotId: string, version: number): Promise<KnowledgeIndex> {
    const hit = this.cached.get(chatbotId);
    if (hit && hit.version >= version) return hit.index;
    let pending = this.building.get(chatbotId);
    if (!pending) {
      pending = this.build(chatbotId).finally(() => this.building.delete(chatbotId));
      this.building.set(chatbotId, pending);
    }
    return (await pending).index;
  }

  /** Drops a chatbot's index (deleted chatbot). */
  forget(chatbotId: string): void {
    this.cached.delete(chatbotId);
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
    // Built in slices: other chatbots' turns and /api/health run between them while a large index builds.
    const built = { version: chatbot?.knowledge_version ?? 0, index: await buildKnowledgeIndexCooperatively(entries, [...weights.values()]) };
    this.cached.set(chatbotId, built);
    return built;
  }
}
