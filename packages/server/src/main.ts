import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { warmUpClassifiers } from './modules/chat/engine/message-classifiers.js';
import { getWordVectors } from './modules/chat/engine/word-vectors.js';
import { openRuntime } from './runtime.js';
import { createCrawlWorker, type CrawlWorker } from './modules/crawl/crawl.worker.js';
import { createDeliveryWorker, type DeliveryWorker } from './worker.js';
import { createEmbeddingSyncLoop, type EmbeddingSyncLoop } from './modules/chat/knowledge-embeddings.js';
import { createLlmProvider, type LlmProvider } from './modules/chat/llm.provider.js';

/** How often the worker looks for knowledge to embed for chatbots with an embeddings model. */
const EMBEDDING_SYNC_INTERVAL_MS = 15_000;

const SHUTDOWN_GRACE_MS = 10_000;

type Role = 'api' | 'worker';

function readRole(argv: readonly string[]): Role {
  const index = argv.indexOf('--role');
  const role = index === -1 ? 'api' : argv[index + 1];
  if (role === 'api' || role === 'worker') return role;
  console.error(`Unknown role "${role ?? ''}": use --role api (default) or --role worker.`);
  process.exit(64);
}

/**
 * Starts a role: `api` serves HTTP and, unless FC_DELIVERY_WORKER=off, runs the delivery worker in the same
 * process; `worker` (npm run worker) only delivers, and any number of them can share one PostgreSQL.
 */
async function main(): Promise<void> {
  const role = readRole(process.argv.slice(2));
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }

  const runtime = await openRuntime(config, (message) => console.log(message));
  let worker: DeliveryWorker | null = null;
  let embeddingSync: EmbeddingSyncLoop | null = null;
  let embeddingProvider: LlmProvider | null = null;
  let crawler: CrawlWorker | null = null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  if (role === 'api') {
    // The engine's word vectors and classifiers load before the first visitor, not during their first message.
    getWordVectors();
    warmUpClassifiers();
    app = await buildApp({ config, database: runtime.database, redis: runtime.redis });
    const address = await app.listen({ port: config.port, host: config.host });
    console.log(`FusionChatalyst ${config.version} listening on ${address} (database: ${config.database.kind})`);
  }
  if (role === 'worker' || config.deliveryWorker === 'inline') {
    const log = app ? app.log : pino({ level: config.logLevel });
    worker = createDeliveryWorker({ db: runtime.database.db, config, log });
    worker.start();
    // Chatbots that name an embeddings model get their passages embedded in the background (issue 18).
    embeddingProvider = createLlmProvider({ allowPrivate: config.allowPrivateWebhookTargets });
    embeddingSync = createEmbeddingSyncLoop({ db: runtime.database.db, provider: embeddingProvider, secretKey: config.secretKey, log, intervalMs: EMBEDDING_SYNC_INTERVAL_MS });
    embeddingSync.start();
    // Website imports run where deliveries run: leased jobs, off the request path.
    crawler = createCrawlWorker({ db: runtime.database.db, config, log });
    crawler.start();
    if (role === 'worker') console.log(`FusionChatalyst delivery worker ${worker.owner} started (database: ${config.database.kind})`);
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight requests and deliveries`);
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    // Stop taking requests first, then let the worker finish (or hand back) what it holds.
    if (app) await app.close();
    if (worker) await worker.stop(SHUTDOWN_GRACE_MS / 2);
    await embeddingSync?.stop();
    await embeddingProvider?.close();
    if (crawler) await crawler.stop();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Failed to start:', error);
  process.exit(1);
});
