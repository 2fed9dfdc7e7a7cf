/**
 * Child-process entry of server-process.ts: starts the real app on 127.0.0.1 with a scratch database, and
 * beside it, in the same process, a bare Fastify app with one JSON GET route (the floor any route of ours
 * is compared with). Reports both addresses over IPC and shuts down (dropping the database) when the
 * parent disconnects.
 */
import Fastify from 'fastify';
import { startLocalApp, type LocalAppOptions } from './local-app.js';

async function serve(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as LocalAppOptions;
  const app = await startLocalApp(options);
  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ status: 'ok' }));
  const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/bare`;
  process.once('disconnect', () => {
    Promise.all([app.close(), bare.close()]).then(() => process.exit(0), (error: unknown) => {
      console.error('bench server: close failed', error);
      process.exit(1);
    });
  });
  process.send?.({ baseUrl: app.baseUrl, bareUrl, databaseKind: app.databaseKind });
}

serve().catch((error: unknown) => {
  console.error('bench server failed to start:', error);
  process.exit(1);
});
