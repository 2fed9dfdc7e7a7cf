/**
 * `npm run eval [-- dataset.json ...] [--failures] [--leave-one-out] [--fit] [--from-website]`: the chat engine measured the way a
 * visitor meets it. Starts the real app on 127.0.0.1 with a temporary SQLite database and, per dataset, signs a
 * customer up, creates a chatbot with the business's phone region and locale, imports the knowledge over the
 * portal API, sends every case's visitor messages to POST /api/public/system-chat (a new conversation per case)
 * and scores the replies with the rules of engine/evaluation.ts (../shared/eval/README.md). Prints one row per
 * dataset per case type and per lead field, the chat round-trip p50/p99, how an in-process run with the same
 * settings compares, and writes the failures to a file. Datasets default to every file in
 * modules/chat/engine/fixtures/ (the five dev sets and the holdout set).
 *
 * --from-website also serves each dataset as a website on 127.0.0.1 (bench/local-website.ts), imports it with the
 * crawler instead of the JSON import, runs the same cases and prints both accuracies side by side.
 *
 * --leave-one-out and --fit run in-process (bench/eval-cli.ts): the portal API has no answerThreshold setting,
 * so a held-out chatbot cannot be given a fitted tuning over HTTP.
 *
 * --llm <baseUrl> --model <name> [--embeddings <name>]: every chatbot names that OpenAI-compatible provider (understanding mode, the
 * business's description as its About text, the key from FC_EVAL_LLM_API_KEY when set), so the tables measure the
 * model path against the same cases; a provider on a loopback or private address (Ollama, llama.cpp) is allowed.
 */
import { performance } from 'node:perf_hooks';
import { describeShippedTuning, fitAndWriteTuning, parseEvalArgs, printEvalTables, printLeaveOneOut, PRODUCT_ENGINE_SETTINGS, reportFailures, type EvalArgs } from '../bench/eval-cli.js';
import { listDevFixtureFiles, listEvalFixtureFiles, readEvalDataset } from '../bench/eval-fixtures.js';
import { startLocalApp, type LocalApp } from '../bench/local-app.js';
import { knowledgeWebsiteRoutes, startLocalWebsite } from '../bench/local-website.js';
import { scoreReport } from '../modules/chat/engine/engine-tuning.fit.js';
import { quantile, sendChatMessage, signUpPortalClient, type PortalClient } from '../bench/portal-client.js';
import {
  caseTurns, createEvalReport, EVAL_CASE_TYPES, EVAL_LEAD_FIELDS, formatMarkdownTable, runEvaluation, scoreCase,
  type CaseObservation, type EvalCase, type EvalDataset, type EvalReport,
} from '../modules/chat/engine/evaluation.js';

/** The eval sends a few hundred messages from one address in a minute: far above a visitor's default limits. */
const EVAL_RATE_LIMIT = { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 };

interface DatasetRun {
  dataset: EvalDataset;
  http: EvalReport;
  engine: EvalReport;
  latenciesMs: number[];
  elapsedMs: number;
  /** What the website import brought in (empty for the JSON import). */
  imported: string;
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

/** How long the eval waits for the model on one turn (local models on a CPU are slow). */
const EVAL_LLM_TIMEOUT_MS = 60_000;

/** How the knowledge gets in: the JSON import, or a crawl of the knowledge served as a local website. */
type ImportMode = 'json' | 'website';

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

async function importDatasetKnowledge(portal: PortalClient, chatbotId: string, dataset: EvalDataset, mode: ImportMode): Promise<string> {
  if (mode === 'json') {
    await portal.importKnowledge(chatbotId, {
      faqs: dataset.knowledge.faqs.map(({ question, answer }) => ({ question, answer })),
      documents: dataset.knowledge.documents.map(({ title, text }) => ({ title, text })),
    });
    return '';
  }
  const site = await startLocalWebsite(knowledgeWebsiteRoutes(dataset.knowledge, dataset.business.name));
  try {
    const crawl = await portal.importWebsite(chatbotId, { url: `${site.origin}/`, maxPages: 1_000 });
    if (crawl.status !== 'done') throw new Error(`the website import of ${dataset.name} ended ${crawl.status}: ${crawl.error ?? crawl.stopReason ?? ''}`);
    return `${crawl.pages.fetched} pages, ${crawl.passages} passages (${crawl.pages.skipped} skipped, ${crawl.pages.failed} failed)`;
  } finally {
    await site.close();
  }
}

async function runDataset(app: LocalApp, dataset: EvalDataset, mode: ImportMode, llm: EvalArgs['llm']): Promise<DatasetRun> {
  const { baseUrl } = app;
  const startedAt = performance.now();
  const portal = await signUpPortalClient(baseUrl, dataset.business.name);
  const { id: chatbotId } = await portal.createChatbot({
    name: dataset.business.name,
    settings: {
      defaultPhoneRegion: dataset.business.defaultPhoneRegion ?? 'US',
      ...(dataset.business.locale ? { locale: dataset.business.locale } : {}),
      rateLimit: EVAL_RATE_LIMIT,
      ...(llm ? {
        description: (dataset.business.description ?? '').slice(0, 1_000),
        llm: {
          baseUrl: llm.baseUrl, model: llm.model, embeddingsModel: llm.embeddingsModel, mode: 'understand', timeoutMs: EVAL_LLM_TIMEOUT_MS, dailyTokenLimit: 100_000_000,
          ...(process.env.FC_EVAL_LLM_API_KEY ? { apiKey: process.env.FC_EVAL_LLM_API_KEY } : {}),
        },
      } : {}),
    },
  });
  const imported = await importDatasetKnowledge(portal, chatbotId, dataset, mode);
  // The worker embeds in the background; the eval embeds before the first question instead.
  if (llm?.embeddingsModel) await app.syncEmbeddings(chatbotId);
  // Failures name the dataset's keys, as the engine-only eval does, rather than the generated kb_ ids; a crawled
  // passage is titled by its page's heading, which is the FAQ's question or the document's title.
  const keyByTitle = new Map<string, string>([
    ...dataset.knowledge.faqs.map((f) => [collapse(f.question), f.key] as const),
    ...dataset.knowledge.documents.map((d) => [collapse(d.title), d.key] as const),
  ]);
  const sourceKeys = new Map<string, string>();
  for (const [id, title] of await portal.listKnowledgeTitles(chatbotId)) sourceKeys.set(id, keyByTitle.get(collapse(title)) ?? id);

  const http = createEvalReport();
  const latenciesMs: number[] = [];
  for (const testCase of dataset.cases) scoreCase(http, testCase, await runCase(baseUrl, portal, chatbotId, testCase, sourceKeys, latenciesMs));
  const elapsedMs = performance.now() - startedAt;
  return { dataset, http, engine: runEvaluation(dataset, PRODUCT_ENGINE_SETTINGS), latenciesMs, elapsedMs, imported };
}

/** The JSON import's accuracy next to the website import's, per dataset (the mean pass rate over case types). */
function formatWebsiteComparison(json: DatasetRun[], website: DatasetRun[]): string[] {
  const rows = json.map((run, index) => {
    const crawled = website[index] as DatasetRun;
    const [a, b] = [scoreReport(run.http), scoreReport(crawled.http)];
    const answers = (report: EvalReport) => `${report.byType.answer?.passed ?? 0}/${report.byType.answer?.total ?? 0}`;
    return [run.dataset.name, (100 * a).toFixed(1), (100 * b).toFixed(1), (100 * (b - a)).toFixed(1), answers(run.http), answers(crawled.http), crawled.imported];
  });
  return formatMarkdownTable(['dataset', 'JSON import %', 'website import %', 'gap (points)', 'answers (JSON)', 'answers (website)', 'crawled'], rows);
}

function formatLatencyTable(runs: DatasetRun[]): string[] {
  const row = (name: string, latenciesMs: number[], seconds: string): string[] => [
    name, String(latenciesMs.length), quantile(latenciesMs, 0.5).toFixed(1), quantile(latenciesMs, 0.99).toFixed(1), seconds,
  ];
  const rows = runs.map((run) => row(run.dataset.name, run.latenciesMs, (run.elapsedMs / 1000).toFixed(1)));
  const all = runs.flatMap((run) => run.latenciesMs);
  rows.push(row('all', all, (runs.reduce((sum, run) => sum + run.elapsedMs, 0) / 1000).toFixed(1)));
  return formatMarkdownTable(['dataset', 'chat turns', 'p50 ms', 'p99 ms', 'dataset run s'], rows);
}

/** Where the HTTP run and the in-process engine with the same settings disagree (the service adds nothing today). */
function describeEngineDifferences(runs: DatasetRun[]): string[] {
  const differences = runs.flatMap(({ dataset, http, engine }) => {
    const cells = [
      ...EVAL_CASE_TYPES.map((type) => [type, http.byType[type]?.passed ?? 0, engine.byType[type]?.passed ?? 0] as const),
      ...EVAL_LEAD_FIELDS.map((field) => [`lead ${field}`, http.byLeadField[field].passed, engine.byLeadField[field].passed] as const),
    ];
    return cells.filter(([, overHttp, inProcess]) => overHttp !== inProcess).map(([name, overHttp, inProcess]) => `- ${dataset.name}: ${name} passed ${overHttp} over HTTP, ${inProcess} in-process`);
  });
  if (differences.length === 0) return ['In-process engine with the same settings: the same pass counts on every dataset.', ''];
  return ['In-process engine with the same settings differs:', ...differences, ''];
}

async function main(): Promise<void> {
  const args = parseEvalArgs(process.argv.slice(2), ['--failures', '--leave-one-out', '--fit', '--from-website', '--llm', '--model', '--embeddings']);
  if (args.fit) {
    fitAndWriteTuning(listDevFixtureFiles().map(readEvalDataset));
    return;
  }
  const datasets = (args.files.length > 0 ? args.files : listEvalFixtureFiles()).map(readEvalDataset);
  // --from-website crawls a site on 127.0.0.1, and --llm usually names a model server on this machine or the local
  // network: the operator's setting that allows private addresses is on for them.
  const allowPrivate = args.fromWebsite || args.llm !== null;
  const app = await startLocalApp({ env: { LOG_LEVEL: 'error', ...(allowPrivate ? { FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' } : {}) }, crawlWorker: args.fromWebsite });
  const runs: DatasetRun[] = [];
  const websiteRuns: DatasetRun[] = [];
  try {
    for (const dataset of datasets) runs.push(await runDataset(app, dataset, 'json', args.llm));
    if (args.fromWebsite) for (const dataset of datasets) websiteRuns.push(await runDataset(app, dataset, 'website', args.llm));
  } finally {
    await app.close();
  }
  const rows = runs.map((run) => ({ name: run.dataset.name, report: run.http }));
  const heading = args.llm ? `with the model ${args.llm.model}${args.llm.embeddingsModel ? ` and embeddings ${args.llm.embeddingsModel}` : ''} at ${args.llm.baseUrl} (understanding mode)` : `tuning ${describeShippedTuning()}`;
  printEvalTables(`over HTTP (POST /api/public/system-chat, ${app.databaseKind}), ${heading}`, rows);
  console.log(['### chat round trip (POST /api/public/system-chat)', '', ...formatLatencyTable(runs), ''].join('\n'));
  console.log(describeEngineDifferences(runs).join('\n'));
  reportFailures('http', rows, args.printFailures);
  if (args.fromWebsite) {
    const websiteRows = websiteRuns.map((run) => ({ name: run.dataset.name, report: run.http }));
    printEvalTables('imported by crawling each dataset served as a local website (one page per document, the FAQs on one page under headings)', websiteRows);
    console.log(['### JSON import vs website import', '', ...formatWebsiteComparison(runs, websiteRuns), ''].join('\n'));
    reportFailures('website', websiteRows, args.printFailures);
  }
  if (args.leaveOneOut) {
    printLeaveOneOut(listDevFixtureFiles().map(readEvalDataset), 'in-process, as the portal API has no answerThreshold setting to give a held-out chatbot its fitted tuning');
  }
}

main().catch((error: unknown) => {
  console.error('eval failed:', error);
  process.exit(1);
});
