import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { combineRounds, describeLatency, runLoad, type LoadStats } from './http-load.js';
import { createScratchDatabaseUrl } from './local-app.js';
import { signUpPortalClient } from './portal-client.js';
import { measure, type BenchContext, type BenchOutcome, type BenchScenario } from './scenario.js';

/**
 * `npm run bench -- load` and `-- soak`: the scaled-out shape of contract section 2 — two API processes
 * (`main.js --role api`, delivery off) on one PostgreSQL and, when it answers, one Redis — under chat load
 * from autocannon, against GET /api/health on the same two processes as the baseline. The soak repeats the
 * load for five minutes and reports each process's resident memory at the start and at the end.
 */

const MAIN = fileURLToPath(new URL(`../main${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const START_TIMEOUT_MS = 30_000;
const ROUND_SECONDS = 10;
const LOAD_ROUNDS = 2;
const SOAK_SECONDS = 300;
const SOAK_ROUND_SECONDS = 20;
const CONNECTIONS_PER_PROCESS = 10;
const BENCH_RATE_LIMIT = { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 };
const QUESTIONS = ['Do you fix leaking pipes?', 'What are your opening hours?', 'How much is a drain cleaning?', 'Can I book a visit tomorrow?', 'Do you work on weekends?'];

export interface ApiProcess {
  child: ChildProcess;
  baseUrl: string;
}

/** Starts `main --role api` (compiled, or the sources under tsx) on 127.0.0.1 and resolves once it listens. */
export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(process.execPath, [...process.execArgv, MAIN, '--role', 'api'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error', FC_SEED_DEMO: 'false', FC_DELIVERY_WORKER: 'off', FC_TRUST_PROXY: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`API process did not start:\n${output}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.stderr?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`API process exited (${code}):\n${output}`)));
  });
  return { child, baseUrl };
}

function residentMemoryMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function isRedisUp(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function withScaledOutSet<T>(context: BenchContext, run: (apis: ApiProcess[], chatbotId: string, redis: boolean) => Promise<T>): Promise<T | null> {
  if (!context.postgresUrl) return null;
  const { databaseUrl, drop } = await createScratchDatabaseUrl(context.postgresUrl, process.cwd());
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await isRedisUp(redisUrl);
  const env = {
    DATABASE_URL: databaseUrl, FC_SECRET_KEY: randomBytes(32).toString('hex'), FC_DATA_DIR: path.join(process.cwd(), 'data', 'bench-load'),
    FC_RATE_LIMIT_PREFIX: `fc-rl-bench-${randomBytes(4).toString('hex')}:`, ...(redis ? { REDIS_URL: redisUrl } : {}),
  };
  const apis: ApiProcess[] = [];
  try {
    // The first process migrates; the second starts once the schema is there.
    apis.push(await startApi(env));
    apis.push(await startApi(env));
    const portal = await signUpPortalClient((apis[0] as ApiProcess).baseUrl, 'Load Plumbing');
    const { id: chatbotId } = await portal.createChatbot({ name: 'Load bot', settings: { rateLimit: BENCH_RATE_LIMIT } });
    await portal.importKnowledge(chatbotId, {
      faqs: [
        { question: 'Do you fix leaking pipes?', answer: 'Yes, we repair leaking pipes the same day.' },
        { question: 'What are your opening hours?', answer: 'Monday to Friday 8am to 6pm, Saturday 9am to 1pm.' },
        { question: 'How much is a drain cleaning?', answer: 'Drain cleaning starts at $129.' },
      ],
      documents: [],
    });
    return await run(apis, chatbotId, redis);
  } finally {
    for (const api of apis) api.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await drop().catch(() => undefined);
  }
}

/** Chat load on both processes at once; each request a new visitor from one of many client addresses. */
function chatOnBoth(apis: readonly ApiProcess[], chatbotId: string, seconds: number, offset: { value: number }): Promise<LoadStats[]> {
  return Promise.all(apis.map((api, index) => runLoad({
    url: `${api.baseUrl}/api/public/system-chat`,
    method: 'POST',
    durationSeconds: seconds,
    connections: CONNECTIONS_PER_PROCESS,
    headers: { 'content-type': 'application/json' },
    buildRequest: (sequence) => {
      const n = offset.value + sequence * apis.length + index;
      return {
        body: JSON.stringify({ chatbotId, visitorId: `load-${n}`, message: QUESTIONS[n % QUESTIONS.length] }),
        headers: { 'x-forwarded-for': `10.1.${(n >> 8) % 16}.${n % 256}` },
      };
    },
  })));
}

function sumRates(stats: readonly LoadStats[]): LoadStats {
  const combined = combineRounds(stats);
  // Parallel runs: throughput adds up over the same wall time.
  return { ...combined, requestsPerSecond: stats.reduce((sum, s) => sum + s.requestsPerSecond, 0) };
}

export const loadScenario: BenchScenario = {
  name: 'load',
  summary: 'system-chat on two API processes over PostgreSQL (+ Redis): turns/s, p50/p99 and errors vs GET /api/health on the same processes',
  isDefault: false,
  async run(context): Promise<BenchOutcome> {
    const result = await withScaledOutSet(context, async (apis, chatbotId, redis) => {
      const offset = { value: 0 };
      context.log(`load: warming up two API processes${redis ? ' with Redis' : ' (Redis not reachable: in-memory limits)'}`);
      await chatOnBoth(apis, chatbotId, 3, offset);
      offset.value += 1_000_000;
      const chatRounds: LoadStats[] = [];
      const healthRounds: LoadStats[] = [];
      for (let round = 0; round < LOAD_ROUNDS; round += 1) {
        context.log(`load: round ${round + 1}/${LOAD_ROUNDS}: health ${ROUND_SECONDS} s, chat ${ROUND_SECONDS} s`);
        healthRounds.push(sumRates(await Promise.all(apis.map((api) => runLoad({ url: `${api.baseUrl}/api/health`, method: 'GET', durationSeconds: ROUND_SECONDS, connections: CONNECTIONS_PER_PROCESS })))));
        chatRounds.push(sumRates(await chatOnBoth(apis, chatbotId, ROUND_SECONDS, offset)));
        offset.value += 1_000_000;
      }
      const chat = combineRounds(chatRounds);
      const health = combineRounds(healthRounds);
      const chatRate = chatRounds.reduce((sum, r) => sum + r.requestsPerSecond, 0) / chatRounds.length;
      const healthRate = healthRounds.reduce((sum, r) => sum + r.requestsPerSecond, 0) / healthRounds.length;
      return {
        measurements: [measure('chat turns/s on 2 API processes (postgres)', chatRate, 'turns/s', { label: 'GET /api/health req/s on the same 2 processes', value: healthRate }, describeLatency(chat))],
        notes: [
          `chat: ${chat.succeeded} turns, ${chat.non2xx} non-2xx responses, ${chat.errors} connection errors; ${CONNECTIONS_PER_PROCESS} connections per process; Redis ${redis ? 'on' : 'off'}`,
          `health baseline: ${Math.round(healthRate)} req/s (${describeLatency(health)})`,
        ],
      };
    });
    if (!result) return { status: 'skipped', reason: 'PostgreSQL is not reachable (set BENCH_DATABASE_URL)' };
    return { status: 'measured', ...result };
  },
};

export const soakScenario: BenchScenario = {
  name: 'soak',
  summary: 'five minutes of chat load on two API processes over PostgreSQL: throughput per 20 s round and resident memory at start and end',
  isDefault: false,
  async run(context): Promise<BenchOutcome> {
    const result = await withScaledOutSet(context, async (apis, chatbotId) => {
      const offset = { value: 0 };
      await chatOnBoth(apis, chatbotId, 5, offset);
      const rssStart = apis.map((api) => residentMemoryMb(api.child.pid));
      const rates: number[] = [];
      let non2xx = 0;
      let errors = 0;
      for (let elapsed = 0; elapsed < SOAK_SECONDS; elapsed += SOAK_ROUND_SECONDS) {
        offset.value += 1_000_000;
        const round = await chatOnBoth(apis, chatbotId, SOAK_ROUND_SECONDS, offset);
        rates.push(round.reduce((sum, r) => sum + r.requestsPerSecond, 0));
        non2xx += round.reduce((sum, r) => sum + r.non2xx, 0);
        errors += round.reduce((sum, r) => sum + r.errors, 0);
        context.log(`soak: ${elapsed + SOAK_ROUND_SECONDS}/${SOAK_SECONDS} s, ${Math.round(rates.at(-1) ?? 0)} turns/s, RSS ${apis.map((api) => residentMemoryMb(api.child.pid).toFixed(0)).join(' / ')} MB`);
      }
      const rssEnd = apis.map((api) => residentMemoryMb(api.child.pid));
      const first = rates[0] ?? Number.NaN;
      const last = rates.at(-1) ?? Number.NaN;
      return {
        measurements: [
          measure('soak: turns/s in the last round', last, 'turns/s', { label: 'turns/s in the first round', value: first }),
          measure('soak: RSS at the end (both processes)', rssEnd.reduce((a, b) => a + b, 0), 'MB', { label: 'RSS at the start', value: rssStart.reduce((a, b) => a + b, 0) }),
        ],
        notes: [
          `RSS per process, start → end: ${rssStart.map((start, i) => `${start.toFixed(0)} → ${(rssEnd[i] ?? Number.NaN).toFixed(0)} MB`).join(', ')}`,
          `${rates.length} rounds of ${SOAK_ROUND_SECONDS} s; ${non2xx} non-2xx responses, ${errors} errors in all`,
        ],
      };
    });
    if (!result) return { status: 'skipped', reason: 'PostgreSQL is not reachable (set BENCH_DATABASE_URL)' };
    return { status: 'measured', ...result };
  },
};
