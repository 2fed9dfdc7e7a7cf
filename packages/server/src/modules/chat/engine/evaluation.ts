import { createDefaultSettings, runTurn } from './chat-engine.js';
import { createInitialState } from './conversation-state.js';
import type { EngineSettings, KnowledgeEntry, KnowledgeIndex, LeadField, TurnResult } from './engine.types.js';
import { buildKnowledgeIndex } from './retrieval.index.js';

/** The eval data format of ../shared/eval (see its README). */
export interface EvalDataset {
  name: string;
  business: { name: string; defaultPhoneRegion?: string; description?: string };
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

function converse(turns: string[], settings: EngineSettings, index: KnowledgeIndex): TurnResult[] {
  let state = createInitialState();
  const results: TurnResult[] = [];
  for (const message of turns) {
    const result = runTurn({ message, state, settings, index });
    results.push(result);
    state = result.state;
  }
  return results;
}

/** Runs every case of a dataset against the engine, following the eval README's pass rules. */
export function runEvaluation(dataset: EvalDataset, settingsOverride: Partial<EngineSettings> = {}): EvalReport {
  const index = buildKnowledgeIndex(toKnowledgeEntries(dataset));
  const settings: EngineSettings = {
    ...createDefaultSettings(dataset.business.name),
    defaultPhoneRegion: dataset.business.defaultPhoneRegion ?? 'US',
    ...settingsOverride,
  };
  const report: EvalReport = {
    byType: {},
    byLeadField: { intent: { passed: 0, total: 0 }, name: { passed: 0, total: 0 }, email: { passed: 0, total: 0 }, phone: { passed: 0, total: 0 } },
    failures: [],
  };
  for (const testCase of dataset.cases) {
    const tally = (report.byType[testCase.type] ??= { passed: 0, total: 0 });
    tally.total += 1;
    let detail: string | null = null;
    if (testCase.type === 'answer') {
      const [result] = converse([testCase.message], settings, index);
      const text = result?.text ?? '';
      if (!testCase.expectContains.some((e) => text.toLowerCase().includes(e.toLowerCase()))) {
        detail = `"${testCase.message}" → [${result?.sources.map((s) => s.id).join(',') ?? ''}] ${result?.confidence.toFixed(2)} "${text.slice(0, 100)}"`;
      }
    } else if (testCase.type === 'lead') {
      const results = converse(testCase.turns, settings, index);
      const last = results.at(-1);
      const got = { intent: last?.conversationIntent ?? null, ...(last?.state.lead ?? { name: null, email: null, phone: null }) };
      const wrong: string[] = [];
      for (const field of ['intent', 'name', 'email', 'phone'] as const) {
        const fieldTally = report.byLeadField[field];
        fieldTally.total += 1;
        if (got[field] === testCase.expect[field]) fieldTally.passed += 1;
        else wrong.push(`${field}: got ${JSON.stringify(got[field])} want ${JSON.stringify(testCase.expect[field])}`);
      }
      if (wrong.length > 0) detail = wrong.join('; ');
    } else if (testCase.type === 'escalate' || testCase.type === 'no_escalate') {
      const results = converse(testCase.turns, settings, index);
      const escalated = results.some((r) => r.escalation !== null);
      if (escalated !== testCase.expectEscalated) {
        detail = `escalated=${escalated} ${results.map((r) => r.escalation?.reason ?? '-').join(',')} :: ${testCase.turns.join(' | ')}`;
      }
    } else if (testCase.type === 'out_of_scope') {
      const [result] = converse([testCase.message], settings, index);
      if (!result || result.sources.length > 0 || !HONEST_FALLBACK.test(result.text)) {
        detail = `"${testCase.message}" → [${result?.sources.map((s) => s.id).join(',') ?? ''}] "${result?.text.slice(0, 100) ?? ''}"`;
      }
    }
    if (detail) report.failures.push({ id: testCase.id, type: testCase.type, detail });
    else tally.passed += 1;
  }
  return report;
}

/** Formats a report as the lines the eval script prints. */
export function formatEvalReport(name: string, report: EvalReport): string[] {
  const pct = (t: { passed: number; total: number }): string => (t.total ? `${((100 * t.passed) / t.total).toFixed(1)}%` : 'n/a');
  const lines = [`== ${name}`];
  for (const [type, tally] of Object.entries(report.byType)) lines.push(`  ${type.padEnd(12)} ${pct(tally).padStart(6)}  (${tally.passed}/${tally.total})`);
  lines.push('  lead fields:');
  for (const [field, tally] of Object.entries(report.byLeadField)) lines.push(`    ${field.padEnd(8)} ${pct(tally).padStart(6)}  (${tally.passed}/${tally.total})`);
  if (report.failures.length > 0) lines.push('  failures:');
  for (const failure of report.failures) lines.push(`    ${failure.id} [${failure.type}] ${failure.detail}`);
  return lines;
}
