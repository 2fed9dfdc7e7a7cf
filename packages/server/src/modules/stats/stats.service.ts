import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { listLlmUsage } from '../chat/llm-usage.repository.js';
import { summarizeSatisfaction } from '../satisfaction/satisfaction.service.js';

const DAY_MS = 86_400_000;

export interface StatsDay {
  date: string;
  conversations: number;
  leads: number;
  escalations: number;
  ratingsUp: number;
  ratingsDown: number;
}

/** A day of the chatbots' language-model use: calls and how they went, turns kept from the model by the token cap, tokens. */
export interface ModelStatsDay {
  date: string;
  calls: number;
  answered: number;
  declined: number;
  failures: number;
  skipped: number;
  tokens: number;
}

export interface StatsView {
  since: string;
  days: StatsDay[];
  totals: Omit<StatsDay, 'date'>;
  /** Visitors' 1–5 ratings of conversations a person resolved, rated in the period: how many and their average. */
  satisfaction: { count: number; average: number | null };
  /** Language-model use per day (all zero for chatbots without a model). */
  model: { days: ModelStatsDay[]; totals: Omit<ModelStatsDay, 'date'> };
}

type ModelCounter = Exclude<keyof ModelStatsDay, 'date'>;
const MODEL_COUNTERS: ModelCounter[] = ['calls', 'answered', 'declined', 'failures', 'skipped', 'tokens'];

/** The model-use part of the dashboard, day by day over the same window. */
async function getModelStats(db: Kysely<Database>, customerId: string, dates: string[], chatbotId: string | undefined): Promise<StatsView['model']> {
  const byDate = new Map(dates.map((date): [string, ModelStatsDay] => [date, { date, calls: 0, answered: 0, declined: 0, failures: 0, skipped: 0, tokens: 0 }]));
  for (const row of await listLlmUsage(db, customerId, dates[0] ?? '', chatbotId)) {
    const bucket = byDate.get(row.day);
    if (!bucket) continue;
    bucket.calls += row.calls;
    bucket.answered += row.answered;
    bucket.declined += row.declined;
    bucket.failures += row.failures;
    bucket.skipped += row.skipped;
    bucket.tokens += row.promptTokens + row.completionTokens;
  }
  const days = [...byDate.values()];
  const totals = { calls: 0, answered: 0, declined: 0, failures: 0, skipped: 0, tokens: 0 };
  for (const d of days) for (const key of MODEL_COUNTERS) totals[key] += d[key];
  return { days, totals };
}

type Counter = Exclude<keyof StatsDay, 'date'>;

/** The first UTC day of a `days`-long window ending today. */
export function windowStart(days: number, now = Date.now()): string {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return new Date(today - (days - 1) * DAY_MS).toISOString();
}

/**
 * Daily counts for the dashboard: conversations started, leads, escalations and answer ratings per UTC day.
 * Timestamps are stored as fixed-width ISO text on both databases, so the day is its first ten characters.
 */
export async function getStats(db: Kysely<Database>, customerId: string, filter: { days: number; chatbotId?: string | undefined }, now = Date.now()): Promise<StatsView> {
  const since = windowStart(filter.days, now);
  const day = (column: string) => sql<string>`substr(${sql.ref(column)}, 1, 10)`;

  const countByDay = async (table: 'conversations' | 'leads' | 'escalations', column: 'started_at' | 'created_at') => {
    let query = db.selectFrom(table as 'leads')
      .select([day(column).as('day'), (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('customer_id', '=', customerId)
      .where(column as 'created_at', '>=', since);
    if (filter.chatbotId) query = query.where('chatbot_id', '=', filter.chatbotId);
    return query.groupBy(day(column)).execute();
  };
  let ratingsQuery = db.selectFrom('ratings')
    .select([day('created_at').as('day'), 'rating', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('customer_id', '=', customerId)
    .where('created_at', '>=', since);
  if (filter.chatbotId) ratingsQuery = ratingsQuery.where('chatbot_id', '=', filter.chatbotId);

  const [conversations, leads, escalations, ratings, satisfaction] = await Promise.all([
    countByDay('conversations', 'started_at'),
    countByDay('leads', 'created_at'),
    countByDay('escalations', 'created_at'),
    ratingsQuery.groupBy([day('created_at'), 'rating']).execute(),
    summarizeSatisfaction(db, customerId, { since, chatbotId: filter.chatbotId }),
  ]);

  const byDate = new Map<string, StatsDay>();
  for (let i = 0; i < filter.days; i += 1) {
    const date = new Date(Date.parse(since) + i * DAY_MS).toISOString().slice(0, 10);
    byDate.set(date, { date, conversations: 0, leads: 0, escalations: 0, ratingsUp: 0, ratingsDown: 0 });
  }
  const add = (rows: { day: string; n: string | number }[], counter: Counter) => {
    for (const row of rows) {
      const bucket = byDate.get(row.day);
      if (bucket) bucket[counter] += Number(row.n);
    }
  };
  add(conversations, 'conversations');
  add(leads, 'leads');
  add(escalations, 'escalations');
  add(ratings.filter((r) => r.rating === 'up'), 'ratingsUp');
  add(ratings.filter((r) => r.rating === 'down'), 'ratingsDown');

  const days = [...byDate.values()];
  const totals = { conversations: 0, leads: 0, escalations: 0, ratingsUp: 0, ratingsDown: 0 };
  for (const d of days) for (const key of Object.keys(totals) as Counter[]) totals[key] += d[key];
  const model = await getModelStats(db, customerId, days.map((d) => d.date), filter.chatbotId);
  return { since: `${since.slice(0, 19)}Z`, days, totals, model, satisfaction };
}
