import { DEV_DATASET_FILE, readEvalDataset } from './eval-fixtures.js';
import { combineRounds, describeLatency, runLoad, type LoadStats } from './http-load.js';
import { signUpPortalClient } from './portal-client.js';
import { measure, type BenchContext, type BenchOutcome, type BenchScenario } from './scenario.js';
import { startServerProcess } from './server-process.js';

/**
 * Chat turns per second through the whole HTTP stack (rate limits, validation, engine, one transaction with
 * the messages and the outbox event), as a ratio to GET /api/health on the same server (every hook and
 * plugin of the app, no database work: the health probe caches its check for a second) and to a bare
 * Fastify JSON GET route in the same process, both measured in the same run. Every request is a new
 * visitor opening a conversation with one of the dev set's real questions.
 */

/** The schema's ceilings: far above what one visitor may send, so the bench measures the chat, not 429s. */
const BENCH_RATE_LIMIT = { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 };
const WARMUP_SECONDS = 1;
/** Rounds of (bare GET, health GET, chat), interleaved so that noise from other work on the machine hits all three alike. */
const ROUNDS = 3;
const BASELINE_SECONDS_PER_ROUND = 1;
const CHAT_SECONDS_PER_ROUND = 3;
/**
 * Requests come from this many client addresses (X-Forwarded-For, with FC_TRUST_PROXY as behind a load
 * balancer), as real traffic does; from one address the per-IP limit would cap the bench instead.
 */
const CLIENT_ADDRESSES = 4_096;

async function measureChat(kind: 'sqlite' | 'postgres', context: BenchContext): Promise<BenchOutcome> {
  if (kind === 'postgres' && !context.postgresUrl) {
    return { status: 'skipped', reason: 'no PostgreSQL (set BENCH_DATABASE_URL, or run one at postgres://postgres@127.0.0.1:5432/test)' };
  }
  const dataset = readEvalDataset(DEV_DATASET_FILE);
  const questions = dataset.cases.flatMap((c) => (c.type === 'answer' ? [c.message] : []));
  context.log(`chat (${kind}): starting the server`);
  const server = await startServerProcess({
    postgresUrl: kind === 'postgres' ? (context.postgresUrl ?? undefined) : undefined,
    env: { FC_TRUST_PROXY: 'true', LOG_LEVEL: 'error' },
  });
  try {
    const portal = await signUpPortalClient(server.baseUrl, 'Bench Plumbing');
    const { id: chatbotId } = await portal.createChatbot({ name: dataset.business.name, settings: { rateLimit: BENCH_RATE_LIMIT } });
    await portal.importKnowledge(chatbotId, {
      faqs: dataset.knowledge.faqs.map(({ question, answer }) => ({ question, answer })),
      documents: dataset.knowledge.documents.map(({ title, text }) => ({ title, text })),
    });
    const chat = (durationSeconds: number): Promise<LoadStats> => runLoad({
      url: `${server.baseUrl}/api/public/system-chat`,
      method: 'POST',
      durationSeconds,
      headers: { 'content-type': 'application/json' },
      buildRequest: (sequence) => ({
        body: JSON.stringify({ chatbotId, visitorId: `bench-${sequence}`, message: questions[sequence % questions.length] }),
        headers: { 'x-forwarded-for': `10.0.${(sequence >> 8) % (CLIENT_ADDRESSES >> 8)}.${sequence % 256}` },
      }),
    });
    const health = (durationSeconds: number): Promise<LoadStats> => runLoad({ url: `${server.baseUrl}/api/health`, method: 'GET', durationSeconds });
    const bare = (durationSeconds: number): Promise<LoadStats> => runLoad({ url: server.bareUrl, method: 'GET', durationSeconds });

    context.log(`chat (${kind}): warming up`);
    await Promise.all([health(WARMUP_SECONDS), bare(WARMUP_SECONDS)]);
    await chat(WARMUP_SECONDS);
    context.log(`chat (${kind}): ${ROUNDS} rounds of bare GET ${BASELINE_SECONDS_PER_ROUND} s, GET /api/health ${BASELINE_SECONDS_PER_ROUND} s, chat ${CHAT_SECONDS_PER_ROUND} s`);
    const rounds: { bare: LoadStats[]; health: LoadStats[]; chat: LoadStats[] } = { bare: [], health: [], chat: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      rounds.bare.push(await bare(BASELINE_SECONDS_PER_ROUND));
      rounds.health.push(await health(BASELINE_SECONDS_PER_ROUND));
      rounds.chat.push(await chat(CHAT_SECONDS_PER_ROUND));
    }
    const bareStats = combineRounds(rounds.bare);
    const baseline = combineRounds(rounds.health);
    const turns = combineRounds(rounds.chat);
    const detail = describeLatency(turns);
    const notes = [
      `baselines: bare Fastify GET ${Math.round(bareStats.requestsPerSecond)} req/s (${describeLatency(bareStats)}); GET /api/health ${Math.round(baseline.requestsPerSecond)} req/s (${describeLatency(baseline)})`,
      `chat: ${turns.succeeded} turns in ${turns.durationSeconds.toFixed(1)} s, each a new conversation (2 messages + conversation.started in one transaction), 10 connections; p50 = median of the rounds', p99 = worst round's`,
    ];
    if (turns.non2xx > 0 || turns.errors > 0) notes.push(`WARNING: ${turns.non2xx} non-2xx responses and ${turns.errors} errors during the chat run`);
    return {
      status: 'measured',
      measurements: [
        measure(`chat turns/s (${server.databaseKind})`, turns.requestsPerSecond, 'turns/s', { label: 'GET /api/health req/s', value: baseline.requestsPerSecond }, detail),
        measure(`chat turns/s (${server.databaseKind})`, turns.requestsPerSecond, 'turns/s', { label: 'bare Fastify GET req/s', value: bareStats.requestsPerSecond }, detail),
      ],
      notes,
    };
  } finally {
    await server.stop();
  }
}

export const chatSqliteScenario: BenchScenario = {
  name: 'chat',
  summary: 'POST /api/public/system-chat turns/s on SQLite vs GET /api/health and a bare Fastify GET, p50/p99 (~20 s)',
  isDefault: true,
  run: (context) => measureChat('sqlite', context),
};

export const chatPostgresScenario: BenchScenario = {
  name: 'chat-postgres',
  summary: 'the same on PostgreSQL (BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test; skipped when unreachable)',
  isDefault: true,
  run: (context) => measureChat('postgres', context),
};
