import { createDefaultSettings, runTurn } from './chat-engine.js';
import { createInitialState } from './conversation-state.js';
import type { EngineSettings, KnowledgeEntry, KnowledgeIndex, LeadField, TurnResult } from './engine.types.js';
import { buildKnowledgeIndex } from './retrieval.index.js';

/** The eval data format of ../shared/eval (see its README). */
export interface EvalDataset {
  name: string;
  business: { name: string; defaultPhoneRegion?: string; locale?: string; description?: string };
  knowledge: { faqs: { key: string; question: string; answer: string }[]; documents: { key: string; title: string; text: string }[] };
  cases: EvalCase[];
}

export type EvalCase =
  | { id: string; type: 'answer'; message: string; expectContains: string[]; source?: string }
  | { id: string; type: 'lead'; turns: string[]; expect: { intent: string | null; name: string | null; email: string | null; phone: string | null } }
  | { id: string; type: 'escalate' | 'no_escalate'; turns: string[]; expectEscalated: boolean }
  | { id: string; type: 'out_of_scope'; message: string; note?: string };

export interface EvalFailure {
  id: string;
  type: EvalCase['type'];
  detail: string;
}

export interface EvalReport {
  byType: Record<string, { passed: number; total: number }>;
  byLeadField: Record<'intent' | LeadField, { passed: number; total: number }>;
  failures: EvalFailure[];
}

/** How the eval recognises "offers a human or says it does not know". */
const HONEST_FALLBACK = /\b(don't know|do not know|not sure|don't have (?:that|information)|can't help|cannot help|connect you|a person|someone from|member of the .* team|human)\b/i;

/** Converts an eval dataset's knowledge into engine entries (FAQ id = key, documents as 'document'). */
export function toKnowledgeEntries(dataset: EvalDataset): KnowledgeEntry[] {
  return [
    ...dataset.knowledge.faqs.map((f): KnowledgeEntry => ({ id: f.key, kind: 'faq', title: f.question, question: f.question, answer: f.answer, text: null })),
    ...dataset.knowledge.documents.map((d): KnowledgeEntry => ({ id: d.key, kind: 'document', title: d.title, question: null, answer: null, text: d.text })),
  ];
}

/** What one case produced, however it was run (the engine directly, or the HTTP API in `npm run eval`). */
export interface CaseObservation {
  /** One entry per visitor turn, in order. */
  turns: { text: string; sourceIds: string[]; escalated: boolean; escalationReason?: string | null; confidence?: number }[];
  /** The conversation's intent and the captured lead after the last turn (null fields when none). */
  lead: { intent: string | null; name: string | null; email: string | null; phone: string | null };
}

/** The visitor messages of a case, in order. */
export function caseTurns(testCase: EvalCase): string[] {
  return testCase.type === 'answer' || testCase.type === 'out_of_scope' ? [testCase.message] : testCase.turns;
}

/** An empty report to tally cases into. */
export function createEvalReport(): EvalReport {
  return {
    byType: {},
    byLeadField: { intent: { passed: 0, total: 0 }, name: { passed: 0, total: 0 }, email: { passed: 0, total: 0 }, phone: { passed: 0, total: 0 } },
    failures: [],
  };
}

function describeTurn(message: string, turn: CaseObservation['turns'][number] | undefined): string {
  const confidence = turn?.confidence === undefined ? '' : ` ${turn.confidence.toFixed(2)}`;
  return `"${message}" → [${turn?.sourceIds.join(',') ?? ''}]${confidence} "${turn?.text.slice(0, 100) ?? ''}"`;
}

/** Scores one case against what it produced, following the eval README's pass rules, and tallies it. */
export function scoreCase(report: EvalReport, testCase: EvalCase, observed: CaseObservation): boolean {
  const tally = (report.byType[testCase.type] ??= { passed: 0, total: 0 });
  tally.total += 1;
  let detail: string | null = null;
  const [first] = observed.turns;
  if (testCase.type === 'answer') {
    const text = first?.text ?? '';
    if (!testCase.expectContains.some((e) => text.toLowerCase().includes(e.toLowerCase()))) detail = describeTurn(testCase.message, first);
  } else if (testCase.type === 'lead') {
    const wrong: string[] = [];
    for (const field of ['intent', 'name', 'email', 'phone'] as const) {
      const fieldTally = report.byLeadField[field];
      fieldTally.total += 1;
      if (observed.lead[field] === testCase.expect[field]) fieldTally.passed += 1;
      else wrong.push(`${field}: got ${JSON.stringify(observed.lead[field])} want ${JSON.stringify(testCase.expect[field])}`);
    }
    if (wrong.length > 0) detail = wrong.join('; ');
  } else if (testCase.type === 'escalate' || testCase.type === 'no_escalate') {
    const escalated = observed.turns.some((t) => t.escalated);
    if (escalated !== testCase.expectEscalated) {
      detail = `escalated=${escalated} ${observed.turns.map((t) => t.escalationReason ?? (t.escalated ? 'yes' : '-')).join(',')} :: ${testCase.turns.join(' | ')}`;
    }
  } else if (testCase.type === 'out_of_scope') {
    if (!first || first.sourceIds.length > 0 || !HONEST_FALLBACK.test(first.text)) detail = describeTurn(testCase.message, first);
  }
  if (detail) report.failures.push({ id: testCase.id, type: testCase.type, detail });
  else tally.passed += 1;
  return detail === null;
}

function converse(turns: string[], settings: EngineSettings, index: KnowledgeIndex): CaseObservation {
  let state = createInitialState();
  const results: TurnResult[] = [];
  for (const message of turns) {
    const result = runTurn({ message, state, settings, index });
    results.push(result);
    state = result.state;
  }
  const last = results.at(-1);
  return {
    turns: results.map((r) => ({ text: r.text, sourceIds: r.sources.map((s) => s.id), escalated: r.escalation !== null, escalationReason: r.escalation?.reason ?? null, confidence: r.confidence })),
    lead: { intent: last?.conversationIntent ?? null, ...(last?.state.lead ?? { name: null, email: null, phone: null }) },
  };
}

/** Runs every case of a dataset against the engine, following the eval README's pass rules. */
export function runEvaluation(dataset: EvalDataset, settingsOverride: Partial<EngineSettings> = {}): EvalReport {
  const index = buildKnowledgeIndex(toKnowledgeEntries(dataset));
  const settings: EngineSettings = {
    ...createDefaultSettings(dataset.business.name),
    defaultPhoneRegion: dataset.business.defaultPhoneRegion ?? 'US',
    ...settingsOverride,
  };
  const report = createEvalReport();
  for (const testCase of dataset.cases) scoreCase(report, testCase, converse(caseTurns(testCase), settings, index));
  return report;
}

/** The case types and lead fields in the order the eval tables show them. */
export const EVAL_CASE_TYPES = ['answer', 'lead', 'escalate', 'no_escalate', 'out_of_scope'] as const satisfies readonly EvalCase['type'][];
export const EVAL_LEAD_FIELDS = ['intent', 'name', 'email', 'phone'] as const satisfies readonly (keyof EvalReport['byLeadField'])[];

/** One row of the eval tables: a dataset's name and report. */
export interface EvalRow {
  name: string;
  report: EvalReport;
}

type Tally = { passed: number; total: number } | undefined;

function formatTally(tally: Tally): string {
  return tally && tally.total > 0 ? `${((100 * tally.passed) / tally.total).toFixed(1)}% (${tally.passed}/${tally.total})` : 'n/a';
}

function formatMean(tallies: Tally[]): string {
  const rates = tallies.flatMap((t) => (t && t.total > 0 ? [t.passed / t.total] : []));
  return rates.length > 0 ? `${((100 * rates.reduce((a, b) => a + b, 0)) / rates.length).toFixed(1)}%` : 'n/a';
}

/** A markdown table with aligned columns. */
export function formatMarkdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, c) => Math.max(cell.length, ...rows.map((row) => row[c]?.length ?? 0)));
  const line = (cells: string[]): string => `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

function formatTallyTable(firstColumn: string, columns: { title: string; tally: (report: EvalReport) => Tally }[], rows: EvalRow[]): string[] {
  const body = rows.map((row) => [row.name, ...columns.map((column) => formatTally(column.tally(row.report)))]);
  // The mean weighs each dataset the same, however many cases it has (the way the tuning is fitted).
  if (rows.length > 1) body.push([`mean of ${rows.length}`, ...columns.map((column) => formatMean(rows.map((row) => column.tally(row.report))))]);
  return formatMarkdownTable([firstColumn, ...columns.map((column) => column.title)], body);
}

/** Pass rate per case type, one row per dataset (a lead passes when all its fields are right), as a markdown table. */
export function formatCaseTypeTable(rows: EvalRow[], firstColumn = 'dataset'): string[] {
  const columns = EVAL_CASE_TYPES.map((type) => ({ title: type === 'lead' ? 'lead (all fields)' : type, tally: (report: EvalReport): Tally => report.byType[type] }));
  return formatTallyTable(firstColumn, columns, rows);
}

/** Pass rate per lead field over the lead cases, one row per dataset, as a markdown table. */
export function formatLeadFieldTable(rows: EvalRow[], firstColumn = 'dataset'): string[] {
  const columns = EVAL_LEAD_FIELDS.map((field) => ({ title: `lead ${field}`, tally: (report: EvalReport): Tally => report.byLeadField[field] }));
  return formatTallyTable(firstColumn, columns, rows);
}

/** Every failure, grouped by dataset, as markdown. */
export function formatFailures(rows: EvalRow[]): string[] {
  return rows.flatMap((row) => [
    `## ${row.name}: ${row.report.failures.length} failures`,
    '',
    ...row.report.failures.map((failure) => `- ${failure.id} [${failure.type}] ${failure.detail}`),
    '',
  ]);
}
