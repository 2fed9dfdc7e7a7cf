import { DEV_DATASET_FILE, readEvalDataset } from './eval-fixtures.js';
import { combineRounds, describeLatency, runLoad, type LoadStats } from './http-load.js';
import { sendChatMessage, signUpPortalClient, quantile } from './portal-client.js';
import { measure, type BenchContext, type BenchOutcome, type BenchScenario } from './scenario.js';
import { startServerProcess } from './server-process.js';

/**
 * One tenant at the knowledge limit forcing index rebuilds back to back (change an entry, chat, repeat),
 * and what another tenant's chat and GET /api/health feel meanwhile: their throughput and p50/p99 while
 * the rebuilds run, as ratios to the same loads on the same server with the big tenant quiet (rounds
 * interleaved). Before the index was built in slices and off the turn's critical path, each rebuild froze
 * the whole process (18 s per cycle at ~20 MB); `test/noisy-neighbour.test.ts` asserts the answers, this
 * reports the latency.
 */

const BENCH_RATE_LIMIT = { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 };
/** The chatbot limit is 5,000 entries and 5 M characters: this is just under both. */
const BIG_ENTRIES = 4_999;
const IMPORT_BATCH = 1_000;
const ROUNDS = 2;
const CHAT_SECONDS = 4;
const HEALTH_SECONDS = 2;
const CONNECTIONS = 4;
const WORDS = 'service repair booking price hour weekend appointment team vehicle pet class member trainer invoice refund warranty parts install'.split(' ');

function bigFaq(i: number): { question: string; answer: string } {
  const filler = Array.from({ length: 130 }, (_, j) => WORDS[(i + j * 5) % WORDS.length]).join(' ');
  return { question: `What about ${WORDS[i % WORDS.length]} plan ${i}?`, answer: `Plan ${i}: ${filler}.` };
}

async function measureNoisyNeighbour(context: BenchContext): Promise<BenchOutcome> {
  const dataset = readEvalDataset(DEV_DATASET_FILE);
  const questions = dataset.cases.flatMap((c) => (c.type === 'answer' ? [c.message] : []));
  context.log('noisy-neighbour: starting the server');
  const server = await startServerProcess({ env: { FC_TRUST_PROXY: 'true', LOG_LEVEL: 'error' } });
  try {
    const big = await signUpPortalClient(server.baseUrl, 'Big Tenant');
    const { id: bigBot } = await big.createChatbot({ name: 'Big', settings: { rateLimit: BENCH_RATE_LIMIT } });
    context.log(`noisy-neighbour: importing ${BIG_ENTRIES} entries (~4.9 M characters)`);
    for (let from = 0; from < BIG_ENTRIES; from += IMPORT_BATCH) {
      const count = Math.min(IMPORT_BATCH, BIG_ENTRIES - from);
      await big.importKnowledge(bigBot, { faqs: Array.from({ length: count }, (_, k) => bigFaq(from + k)), documents: [] });
    }
    const churned = await big.addFaq(bigBot, { question: 'Do you sell gift vouchers?', answer: 'Gift vouchers start at $50.' });

    const small = await signUpPortalClient(server.baseUrl, 'Small Tenant');
    const { id: smallBot } = await small.createChatbot({ name: dataset.business.name, settings: { rateLimit: BENCH_RATE_LIMIT } });
    await small.importKnowledge(smallBot, {
      faqs: dataset.knowledge.faqs.map(({ question, answer }) => ({ question, answer })),
      documents: dataset.knowledge.documents.map(({ title, text }) => ({ title, text })),
    });

    const neighbourChat = (seconds: number): Promise<LoadStats> => runLoad({
      url: `${server.baseUrl}/api/public/system-chat`, method: 'POST', durationSeconds: seconds, connections: CONNECTIONS,
      headers: { 'content-type': 'application/json' },
      buildRequest: (sequence) => ({
        body: JSON.stringify({ chatbotId: smallBot, visitorId: `nb-${sequence}-${Math.random().toString(36).slice(2, 8)}`, message: questions[sequence % questions.length] }),
        headers: { 'x-forwarded-for': `10.1.${(sequence >> 8) % 16}.${sequence % 256}` },
      }),
    });
    const health = (seconds: number): Promise<LoadStats> => runLoad({ url: `${server.baseUrl}/api/health`, method: 'GET', durationSeconds: seconds, connections: CONNECTIONS });

    context.log('noisy-neighbour: first turns (the big index builds whole once)');
    await sendChatMessage(server.baseUrl, { chatbotId: bigBot, visitorId: 'warm-big', message: 'What about refund plan 14?' });
    await neighbourChat(1);

    // The big tenant's loop: change an entry, then chat (the turn starts the rebuild; the previous index answers).
    let hammering = false;
    let changes = 0;
    const bigTurnMs: number[] = [];
    let loop: Promise<void> = Promise.resolve();
    const startHammering = (): void => {
      hammering = true;
      loop = (async () => {
        while (hammering) {
          changes += 1;
          await big.updateAnswer(bigBot, churned, `Gift vouchers start at $${50 + changes}.`);
          const { latencyMs } = await sendChatMessage(server.baseUrl, { chatbotId: bigBot, visitorId: `big-${changes}`, message: 'What about refund plan 14?' });
          bigTurnMs.push(latencyMs);
        }
      })();
    };
    const stopHammering = async (): Promise<void> => {
      hammering = false;
      await loop;
    };

    const quiet: { chat: LoadStats[]; health: LoadStats[] } = { chat: [], health: [] };
    const noisy: { chat: LoadStats[]; health: LoadStats[] } = { chat: [], health: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      context.log(`noisy-neighbour: round ${round + 1}/${ROUNDS}, quiet then with rebuilds running`);
      quiet.chat.push(await neighbourChat(CHAT_SECONDS));
      quiet.health.push(await health(HEALTH_SECONDS));
      startHammering();
      try {
        noisy.chat.push(await neighbourChat(CHAT_SECONDS));
        noisy.health.push(await health(HEALTH_SECONDS));
      } finally {
        await stopHammering();
      }
    }
    const q = { chat: combineRounds(quiet.chat), health: combineRounds(quiet.health) };
    const n = { chat: combineRounds(noisy.chat), health: combineRounds(noisy.health) };
    const notes = [
      `quiet: neighbour chat ${Math.round(q.chat.requestsPerSecond)} turns/s (${describeLatency(q.chat)}); GET /api/health ${Math.round(q.health.requestsPerSecond)} req/s (${describeLatency(q.health)})`,
      `rebuilding: neighbour chat ${Math.round(n.chat.requestsPerSecond)} turns/s (${describeLatency(n.chat)}); GET /api/health ${Math.round(n.health.requestsPerSecond)} req/s (${describeLatency(n.health)})`,
      `big tenant: ${changes} changes to a ${BIG_ENTRIES + 1}-entry chatbot, each followed by a turn; its own turns p50 ${quantile(bigTurnMs, 0.5).toFixed(0)} ms, p99 ${quantile(bigTurnMs, 0.99).toFixed(0)} ms (the previous index answers once a rebuild outlasts 1 s)`,
    ];
    if (n.chat.non2xx + n.chat.errors + n.health.non2xx + n.health.errors > 0) notes.push('WARNING: failures while rebuilding (see the non-2xx and error counts above)');
    return {
      status: 'measured',
      measurements: [
        measure('neighbour chat turns/s while rebuilding', n.chat.requestsPerSecond, 'turns/s', { label: 'the same, big tenant quiet', value: q.chat.requestsPerSecond }, describeLatency(n.chat)),
        measure('neighbour chat p99 while rebuilding', n.chat.p99Ms, 'ms', { label: 'p99, big tenant quiet', value: q.chat.p99Ms }),
        measure('GET /api/health p99 while rebuilding', n.health.p99Ms, 'ms', { label: 'p99, big tenant quiet', value: q.health.p99Ms }, describeLatency(n.health)),
      ],
      notes,
    };
  } finally {
    await server.stop();
  }
}

export const noisyNeighbourScenario: BenchScenario = {
  name: 'noisy-neighbour',
  summary: 'another tenant\'s chat and /api/health while one tenant at the knowledge limit forces index rebuilds, vs the same loads quiet (~60 s)',
  isDefault: false,
  run: measureNoisyNeighbour,
};
