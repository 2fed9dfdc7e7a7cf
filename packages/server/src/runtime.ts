import { Redis } from 'ioredis';
import type { AppConfig } from './config.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { DEMO_EMAIL, DEMO_PASSWORD, seedDemo, shouldSeedDemo } from './modules/demo/demo.service.js';

export interface Runtime {
  database: Db;
  redis: Redis | null;
  close(): Promise<void>;
}

const REDIS_CONNECT_TIMEOUT_MS = 2_000;

/** Opens the database (migrated, demo seeded when asked) and Redis: what every role needs before it starts. */
export async function openRuntime(config: AppConfig, log: (message: string) => void): Promise<Runtime> {
  const database = openDatabase(config.database);
  await migrateToLatest(database.db);
  if (await shouldSeedDemo(database.db, config.seedDemo)) {
    await seedDemo(database.db, config.secretKey, config.scryptLogN);
    log(`Seeded the demo account and the "Acme Plumbing" chatbot.`);
  }
  const hasDemo = await database.db.selectFrom('users').select('id').where('email', '=', DEMO_EMAIL).executeTakeFirst();
  if (hasDemo) log(`Demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);

  let redis: Redis | null = null;
  if (config.redisUrl) {
    // Keep retrying forever in the background: Redis being down must degrade, not stop, the service.
    redis = new Redis(config.redisUrl, { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    redis.on('error', () => undefined);
  }

  return {
    database,
    redis,
    async close() {
      if (redis) redis.disconnect();
      await database.close();
    },
  };
}
