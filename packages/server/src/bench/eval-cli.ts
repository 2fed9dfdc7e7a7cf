import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS } from '../modules/chatbots/chatbots.service.js';
import { DEFAULT_ENGINE_TUNING, ENGINE_TUNING_DATA_URL, type EngineTuning } from '../modules/chat/engine/engine-tuning.js';
import { evaluateTuningGrid, runLeaveOneOut, scoreCandidates, scoreReport, selectTuning } from '../modules/chat/engine/engine-tuning.fit.js';
import { createEvalReport, formatCaseTypeTable, formatFailures, formatLeadFieldTable, formatMarkdownTable, type EvalDataset, type EvalRow } from '../modules/chat/engine/evaluation.js';
import type { EngineSettings } from '../modules/chat/engine/index.js';

/**
 * What `scripts/eval.ts` (over HTTP) and `scripts/eval-engine.ts` (in-process) share: their flags, the tables
 * they print, the failures file, leave-one-out and `--fit`. Fitting always runs in-process: it needs a few
 * hundred runs of every dataset.
 */

export interface EvalArgs {
  /** Dataset files given on the command line (bare names are looked up in the fixtures folder). */
  files: string[];
  /** --failures: print every failure instead of only writing them to a file. */
  printFailures: boolean;
  /** --leave-one-out: also fit on four dev sets and score the fifth, for each of the five. */
  leaveOneOut: boolean;
  /** --fit: fit the tuning on the five dev sets, write engine-tuning.data.json, print nothing else. */
  fit: boolean;
  /** --from-website: also import each dataset by crawling it served as a local website, and compare. */
  fromWebsite: boolean;
  /** --bench (engine-only script): also the retrieval latency at 1k/10k/100k entries. */
  bench: boolean;
  /**
   * --llm <baseUrl> --model <name> [--embeddings <name>] (HTTP eval only): every chatbot reads questions with this
   * OpenAI-compatible model, and with --embeddings also searches its knowledge with that embeddings model.
   */
  llm: { baseUrl: string; model: string; embeddingsModel: string | null } | null;
}

const FLAGS = { '--failures': 'printFailures', '--leave-one-out': 'leaveOneOut', '--fit': 'fit', '--bench': 'bench', '--from-website': 'fromWebsite' } as const;
/** Flags that take a value (the next argument). */
const VALUE_FLAGS = ['--llm', '--model', '--embeddings'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/** Parses the eval scripts' arguments; an unknown flag is an error rather than a silently different run. */
export function parseEvalArgs(argv: string[], allowedFlags: (keyof typeof FLAGS | ValueFlag)[]): EvalArgs {
  const args: EvalArgs = { files: [], printFailures: false, leaveOneOut: false, fit: false, bench: false, fromWebsite: false, llm: null };
  const values: Partial<Record<ValueFlag, string>> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) args.files.push(arg.includes('/') ? path.resolve(process.cwd(), arg) : arg);
    else if (!(allowedFlags as string[]).includes(arg)) throw new Error(`unknown flag ${arg} (known: ${allowedFlags.join(', ')})`);
    else if ((VALUE_FLAGS as readonly string[]).includes(arg)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`${arg} needs a value`);
      values[arg as ValueFlag] = value;
      i += 1;
    } else args[FLAGS[arg as keyof typeof FLAGS]] = true;
  }
  if ((values['--llm'] === undefined) !== (values['--model'] === undefined)) throw new Error('--llm <baseUrl> and --model <name> go together');
  if (values['--embeddings'] !== undefined && values['--llm'] === undefined) throw new Error('--embeddings <name> needs --llm <baseUrl> --model <name>');
  if (values['--llm'] !== undefined && values['--model'] !== undefined) {
    args.llm = { baseUrl: values['--llm'], model: values['--model'], embeddingsModel: values['--embeddings'] ?? null };
  }
  return args;
}

/**
 * The engine settings a new chatbot gets through the portal API (its lead-capture and escalation defaults,
 * which differ from the engine's own), so the in-process runs and the fitting see what visitors meet.
 */
export const PRODUCT_ENGINE_SETTINGS: Partial<EngineSettings> = { leadCapture: DEFAULT_SETTINGS.leadCapture, escalation: DEFAULT_SETTINGS.escalation };

function formatTuning(tuning: EngineTuning): string {
  return Object.entries(tuning).map(([field, value]) => `${field} ${String(value)}`).join(', ');
}

/** The shipped tuning, for the tables' headers. */
export function describeShippedTuning(): string {
  return `${formatTuning(DEFAULT_ENGINE_TUNING)} (engine-tuning.data.json)`;
}

/** Prints the case-type table and the lead-field table under a title. */
export function printEvalTables(title: string, rows: EvalRow[], firstColumn = 'dataset'): void {
  console.log([`## ${title}`, '', ...formatCaseTypeTable(rows, firstColumn), '', ...formatLeadFieldTable(rows, firstColumn), ''].join('\n'));
}

/** Writes every failure to a file in the OS temp folder and says where, or prints them with --failures. */
export function reportFailures(label: string, rows: EvalRow[], print: boolean): void {
  const lines = formatFailures(rows);
  const count = rows.reduce((sum, row) => sum + row.report.failures.length, 0);
  if (print) {
    console.log([`## failures (${label})`, '', ...lines].join('\n'));
    return;
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fc-eval-')), `failures-${label}.md`);
  writeFileSync(file, [`# eval failures (${label}), ${new Date().toISOString()}`, '', ...lines].join('\n'));
  console.log(`${count} failures written to ${file} (--failures prints them)\n`);
}

/** Runs leave-one-out over the dev sets in-process and prints the held-out table and the tuning fitted per fold. */
export function printLeaveOneOut(devDatasets: EvalDataset[], note: string): void {
  const folds = runLeaveOneOut(devDatasets, { settings: PRODUCT_ENGINE_SETTINGS });
  const rows = folds.map((fold) => ({ name: fold.heldOut.name, report: fold.report }));
  const others = `the other ${devDatasets.length - 1}`;
  printEvalTables(`leave-one-out: ${note}`, rows, `held out (fitted on ${others})`);
  const fields = Object.keys(DEFAULT_ENGINE_TUNING);
  const foldRows = folds.map((fold) => [
    fold.heldOut.name,
    ...fields.map((field) => String(fold.tuning[field as keyof EngineTuning])),
    (100 * fold.fittedScore).toFixed(1),
    (100 * scoreReport(fold.report)).toFixed(1),
  ]);
  const header = ['held out', ...fields, `objective on ${others}`, 'objective held out'];
  console.log(['### tuning fitted per fold (objective: mean over datasets of the mean pass rate per case type)', '', ...formatMarkdownTable(header, foldRows), ''].join('\n'));
}

/**
 * Fits the tuning on the dev sets, prints the objective per candidate and per dataset against the shipped
 * tuning, and writes the fitted one to engine-tuning.data.json (the sources; rebuild to ship it).
 */
export function fitAndWriteTuning(devDatasets: EvalDataset[]): void {
  const grid = evaluateTuningGrid(devDatasets, { settings: PRODUCT_ENGINE_SETTINGS });
  const all = devDatasets.map((_, d) => d);
  const fitted = selectTuning(grid, all);
  const shipped = evaluateTuningGrid(devDatasets, { settings: PRODUCT_ENGINE_SETTINGS, candidates: [DEFAULT_ENGINE_TUNING] });
  console.log(`## fit on ${devDatasets.length} datasets (objective: mean over datasets of the mean pass rate per case type)\n`);
  const scores = scoreCandidates(grid, all);
  for (const [c, candidate] of grid.candidates.entries()) {
    console.log(`  ${formatTuning(candidate).padEnd(24)} ${(100 * (scores[c] ?? 0)).toFixed(2)}${c === fitted.index ? '  ← fitted' : ''}`);
  }
  console.log(`\n  ${'objective per dataset'.padEnd(36)} shipped → fitted`);
  for (const [d, dataset] of devDatasets.entries()) {
    const before = scoreReport(shipped.reports[d]?.[0] ?? createEvalReport());
    const after = scoreReport(grid.reports[d]?.[fitted.index] ?? createEvalReport());
    console.log(`  ${dataset.name.padEnd(36)} ${(100 * before).toFixed(1)} → ${(100 * after).toFixed(1)}`);
  }
  const file = fileURLToPath(ENGINE_TUNING_DATA_URL);
  writeFileSync(file, `${JSON.stringify(fitted.tuning, null, 2)}\n`);
  console.log(`\nshipped ${formatTuning(DEFAULT_ENGINE_TUNING)} → fitted ${formatTuning(fitted.tuning)}; written to ${file}`);
}
