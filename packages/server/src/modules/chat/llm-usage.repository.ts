import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/** How one turn's language-model call went: `skipped` when the daily token cap kept the model out. */
export type LlmCallOutcome = 'answered' | 'declined' | 'failed' | 'skipped';

export interface LlmUsageDay {
  day: string;
  chatbotId: string;
  calls: number;
  answered: number;
  declined: number;
  failures: number;
  skipped: number;
  promptTokens: number;
  completionTokens: number;
}

/** The UTC day a call counts in (YYYY-MM-DD). */
export function usageDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

/** Tokens a chatbot used today, prompt and completion together. */
export async function readTokensUsed(db: Kysely<Database>, chatbotId: string, day: string): Promise<number> {
  const row = await db.selectFrom('llm_usage').select(['prompt_tokens', 'completion_tokens']).where('chatbot_id', '=', chatbotId).where('day', '=', day).executeTakeFirst();
  return row ? Number(row.prompt_tokens) + Number(row.completion_tokens) : 0;
}

/** Counts one call (or one skipped turn) and its tokens; one upsert, so concurrent turns add up. */
export async function recordLlmCall(
  db: Kysely<Database>,
  call: { chatbotId: string; customerId: string; day: string; outcome: LlmCallOutcome; usage: { promptTokens: number; completionTokens: number } | null },
): Promise<void> {
  const one = (outcome: LlmCallOutcome): number => (call.outcome === outcome ? 1 : 0);
  const values = {
    chatbot_id: call.chatbotId, day: call.day, customer_id: call.customerId,
    calls: call.outcome === 'skipped' ? 0 : 1, answered: one('answered'), declined: one('declined'), failures: one('failed'), skipped: one('skipped'),
    prompt_tokens: call.usage?.promptTokens ?? 0, completion_tokens: call.usage?.completionTokens ?? 0,
  };
  const add = (column: 'calls' | 'answered' | 'declined' | 'failures' | 'skipped' | 'prompt_tokens' | 'completion_tokens') => sql<number>`llm_usage.${sql.ref(column)} + excluded.${sql.ref(column)}`;
  await db.insertInto('llm_usage').values(values)
    .onConflict((oc) => oc.columns(['chatbot_id', 'day']).doUpdateSet({
      calls: add('calls'), answered: add('answered'), declined: add('declined'), failures: add('failures'), skipped: add('skipped'),
      prompt_tokens: add('prompt_tokens'), completion_tokens: add('completion_tokens'),
    }))
    .execute();
}

/** A customer's model usage per chatbot and day since a day (inclusive), newest first. */
export async function listLlmUsage(db: Kysely<Database>, customerId: string, sinceDay: string, chatbotId?: string): Promise<LlmUsageDay[]> {
  let query = db.selectFrom('llm_usage').selectAll().where('customer_id', '=', customerId).where('day', '>=', sinceDay);
  if (chatbotId) query = query.where('chatbot_id', '=', chatbotId);
  const rows = await query.orderBy('day', 'desc').orderBy('chatbot_id').execute();
  return rows.map((r) => ({
    day: r.day, chatbotId: r.chatbot_id, calls: Number(r.calls), answered: Number(r.answered), declined: Number(r.declined), failures: Number(r.failures),
    skipped: Number(r.skipped), promptTokens: Number(r.prompt_tokens), completionTokens: Number(r.completion_tokens),
  }));
}
