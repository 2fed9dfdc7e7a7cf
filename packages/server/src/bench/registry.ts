import { chatPostgresScenario, chatSqliteScenario } from './chat.scenario.js';
import { crawlScenario } from './crawl.scenario.js';
import { deliveryScenario } from './delivery.scenario.js';
import { embeddingsScenario } from './embeddings.scenario.js';
import { loadScenario, soakScenario } from './load.scenario.js';
import { noisyNeighbourScenario } from './noisy-neighbour.scenario.js';
import { widgetScenario } from './widget.scenario.js';
import { retrieval100kScenario, retrievalScenario } from './retrieval.scenario.js';
import type { BenchScenario } from './scenario.js';

/**
 * Every `npm run bench` scenario, in the order a plain `npm run bench` runs the default ones.
 *
 * Adding one (e.g. `delivery`: webhook deliveries/s through the worker to a local receiver, or `load`: many
 * visitors holding conversations at once):
 *   1. Create `src/bench/<name>.scenario.ts` exporting a `BenchScenario` (see scenario.ts): a `name` for
 *      `npm run bench -- <name>`, a one-line `summary`, `isDefault`, and `run(context)`.
 *   2. Measure a baseline in the same run and report ratios with `measure()`: the machines are shared and
 *      noisy, so only ratios are comparable between runs (for a server, GET /api/health on the same server;
 *      for a local receiver, the receiver alone).
 *   3. Start the app with `startServerProcess()` (server-process.ts: its own process, scratch SQLite or
 *      PostgreSQL schema via `context.postgresUrl`, 127.0.0.1 only) and drive it over HTTP with
 *      `portal-client.ts`; generate load with `runLoad()` (http-load.ts), which refuses any host but
 *      127.0.0.1 and any run over 20 s. Raise the chatbot's `rateLimit` settings (and vary visitors and
 *      X-Forwarded-For addresses, as chat.scenario.ts does) so limits do not cap the measurement.
 *   4. Keep a default scenario to about 20 s; longer ones set `isDefault: false` and run only by name.
 *   5. Add it to the list below. Never turn bench figures into thresholds in unit tests.
 */
export const BENCH_SCENARIOS: readonly BenchScenario[] = [chatSqliteScenario, chatPostgresScenario, retrievalScenario, retrieval100kScenario, embeddingsScenario, deliveryScenario, widgetScenario, loadScenario, soakScenario, noisyNeighbourScenario, crawlScenario];

/** Finds a scenario by its command-line name. */
export function findBenchScenario(name: string): BenchScenario | undefined {
  return BENCH_SCENARIOS.find((scenario) => scenario.name === name);
}
