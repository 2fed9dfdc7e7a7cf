import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openRuntime } from './runtime.js';

const SHUTDOWN_GRACE_MS = 10_000;

/** Starts the API (with the delivery worker inline unless FC_DELIVERY_WORKER=off). */
async function main(): Promise<void> {
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
  const app = await buildApp({ config, database: runtime.database, redis: runtime.redis });
  const address = await app.listen({ port: config.port, host: config.host });
  console.log(`FusionChatalyst ${config.version} listening on ${address} (database: ${config.database.kind})`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    await app.close();
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
