/**
 * `npm run eval [-- dataset.json ...]`: the chat engine measured the way a visitor meets it. Starts the real
 * app on 127.0.0.1 with a temporary SQLite database, signs a customer up, creates a chatbot and imports the
 * dataset's knowledge over the portal API, then sends every case's visitor messages to
 * POST /api/public/system-chat (a new conversation per case) and scores the replies with the same rules as
 * the engine-only evaluation (engine/evaluation.ts, ../shared/eval/README.md). For comparison it also runs
 * the engine directly with the same settings. Datasets default to the dev set and the holdout set in
 * modules/chat/engine/fixtures/.
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEV_DATASET_FILE, HOLDOUT_DATASET_FILE, readEvalDataset } from '../bench/eval-fixtures.js';
import { startLocalApp } from '../bench/local-app.js';
import { quantile, sendChatMessage, signUpPortalClient, type PortalClient } from '../bench/portal-client.js';
import { DEFAULT_SETTINGS } from '../modules/chatbots/chatbots.service.js';
import {
  caseTurns, createEvalReport, runEvaluation, scoreCase, type CaseObservation, type EvalCase, type EvalDataset, type EvalReport,
} from '../modules/chat/engine/evaluation.js';

const DEFAULT_DATASETS = [DEV_DATASET_FILE, HOLDOUT_DATASET_FILE];
/** The eval sends a few hundred messages from one address in a minute: far above a visitor's default limits. */
const EVAL_RATE_LIMIT = { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 };
/** The aims of issue 3 on the dev set, shown beside every dataset for reference. */
const AIM_PERCENT: Record<string, number> = { answer: 90, lead: 90, escalate: 95, no_escalate: 95, out_of_scope: 95 };

interface DatasetRun {
  dataset: EvalDataset;
  http: EvalReport;
  engine: EvalReport;
  latenciesMs: number[];
  elapsedMs: number;
}

async function runCase(baseUrl: string, portal: PortalClient, chatbotId: string, testCase: EvalCase, sourceKeys: Map<string, string>, latenciesMs: number[]): Promise<CaseObservation> {
  const observation: CaseObservation = { turns: [], lead: { intent: null, name: null, email: null, phone: null } };
  let conversation: { conversationId: string; conversationToken: string } | null = null;
  for (const message of caseTurns(testCase)) {
    const { reply, latencyMs } = await sendChatMessage(baseUrl, { chatbotId, visitorId: `eval-${testCase.id}`, message, ...conversation });
    latenciesMs.push(latencyMs);
    conversation = { conversationId: reply.conversationId, conversationToken: reply.conversationToken };
    observation.turns.push({ text: reply.message.text, sourceIds: reply.sources.map((s) => sourceKeys.get(s.id) ?? s.id), escalated: reply.escalated });
    observation.lead.intent = reply.intent;
  }
  if (testCase.type === 'lead' && conversation) {
    // What the business gets: the lead row as the portal lists it (absent until the bot has a way to reach the visitor).
    const [lead] = await portal.listLeads({ chatbotId, conversationId: conversation.conversationId });
    if (lead) Object.assign(observation.lead, { name: lead.name, email: lead.email, phone: lead.phone });
  }
  return observation;
}

async function runDataset(baseUrl: string, dataset: EvalDataset): Promise<DatasetRun> {
  const startedAt = performance.now();
  const portal = await signUpPortalClient(baseUrl, dataset.business.name);
  const { id: chatbotId } = await portal.createChatbot({
    name: dataset.business.name,
    settings: { defaultPhoneRegion: dataset.business.defaultPhoneRegion ?? 'US', rateLimit: EVAL_RATE_LIMIT },
  });
  await portal.importKnowledge(chatbotId, {
    faqs: dataset.knowledge.faqs.map(({ question, answer }) => ({ question, answer })),
    documents: dataset.knowledge.documents.map(({ title, text }) => ({ title, text })),
  });
  // Failures name the dataset's keys, as the engine-only eval does, rather than the generated kb_ ids.
  const keyByTitle = new Map<string, string>([
    ...dataset.knowledge.faqs.map((f) => [f.question, f.key] as const),
    ...dataset.knowledge.documents.map((d) => [d.title, d.key] as const),
  ]);
  const sourceKeys = new Map<string, string>();
  for (const [id, title] of await portal.listKnowledgeTitles(chatbotId)) sourceKeys.set(id, keyByTitle.get(title) ?? id);

  const http = createEvalReport();
  const latenciesMs: number[] = [];
  for (const testCase of dataset.cases) scoreCase(http, testCase, await runCase(baseUrl, portal, chatbotId, testCase, sourceKeys, latenciesMs));
  const engine = runEvaluation(dataset, { leadCapture: DEFAULT_SETTINGS.leadCapture, escalation: DEFAULT_SETTINGS.escalation });
  return { dataset, http, engine, latenciesMs, elapsedMs: performance.now() - startedAt };
}

function formatTally(tally: { passed: number; total: number } | undefined): string {
  if (!tally || tally.total === 0) return 'n/a'.padEnd(15);
  return `${((100 * tally.passed) / tally.total).toFixed(1).padStart(5)}% (${tally.passed}/${tally.total})`.padEnd(15);
}

function formatRun(run: DatasetRun): string[] {
  const { dataset, http, engine, latenciesMs } = run;
  const lines = [
    `== ${dataset.name}: ${dataset.cases.length} cases, ${latenciesMs.length} chat turns over HTTP in ${(run.elapsedMs / 1000).toFixed(1)} s`,
    `  ${'case type'.padEnd(14)}${'over HTTP'.padEnd(17)}${'engine only'.padEnd(17)}aim`,
  ];
  for (const type of Object.keys(http.byType)) {
    lines.push(`  ${type.padEnd(14)}${formatTally(http.byType[type])}  ${formatTally(engine.byType[type])}  ${AIM_PERCENT[type] ? `≥ ${AIM_PERCENT[type]}%` : ''}`);
  }
  lines.push('  lead fields');
  for (const field of ['intent', 'name', 'email', 'phone'] as const) {
    lines.push(`    ${field.padEnd(12)}${formatTally(http.byLeadField[field])}  ${formatTally(engine.byLeadField[field])}`);
  }
  lines.push(`  chat latency  p50 ${quantile(latenciesMs, 0.5).toFixed(1)} ms, p99 ${quantile(latenciesMs, 0.99).toFixed(1)} ms (POST /api/public/system-chat, round trip)`);
  if (http.failures.length > 0) lines.push('  failures over HTTP:');
  for (const failure of http.failures) lines.push(`    ${failure.id} [${failure.type}] ${failure.detail}`);
  return lines;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const datasets = (args.length > 0 ? args.map((arg) => resolve(process.cwd(), arg)) : DEFAULT_DATASETS).map(readEvalDataset);
  const app = await startLocalApp({ env: { LOG_LEVEL: 'error' } });
  try {
    console.log(`Chat eval through the HTTP API at ${app.baseUrl} (${app.databaseKind})`);
    for (const dataset of datasets) console.log(formatRun(await runDataset(app.baseUrl, dataset)).join('\n'));
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error('eval failed:', error);
  process.exit(1);
});
