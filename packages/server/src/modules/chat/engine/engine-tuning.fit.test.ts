import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_TUNING, parseEngineTuning } from './engine-tuning.js';
import { ENGINE_TUNING_GRID, fitEngineTuning, foldLeaveOneOut, listTuningCandidates, runLeaveOneOut, selectTuning, type TuningGridResult } from './engine-tuning.fit.js';
import { createEvalReport, runEvaluation, type EvalCase, type EvalDataset, type EvalReport } from './evaluation.js';

const FAQS = [
  { key: 'hours', question: 'What time does the bakery open?', answer: 'The bakery opens at 7am every day.' },
  { key: 'gluten', question: 'Do you bake gluten-free bread?', answer: 'Yes, gluten-free loaves are baked every Friday.' },
  { key: 'cakes', question: 'Can I order a birthday cake?', answer: 'Birthday cakes need three days notice.' },
  { key: 'parking', question: 'Is there parking near the bakery?', answer: 'There is free parking behind the shop.' },
  { key: 'dogs', question: 'Are dogs allowed inside the bakery?', answer: 'Dogs on a lead are welcome inside.' },
];

function bakery(name: string, cases: EvalCase[]): EvalDataset {
  return { name, business: { name: 'Crumb & Co', defaultPhoneRegion: 'GB' }, knowledge: { faqs: FAQS, documents: [] }, cases };
}

/** Questions the knowledge answers word for word: a sensible threshold answers them (most, whatever the engine's other rules). */
const EXPECTED = ['7am', 'Friday', 'three days', 'behind the shop', 'on a lead'];
const ANSWERABLE = bakery('answerable', FAQS.map((faq, i): EvalCase => ({ id: `a${i}`, type: 'answer', message: faq.question, expectContains: [EXPECTED[i] ?? faq.answer] })));
/** The same questions labelled out of scope: only a threshold no confidence reaches passes them (confidence ≤ 1, and a clear winner answers at most 0.2 below the threshold). */
const REFUSE_ALL = bakery('refuse-all', FAQS.map((faq, i): EvalCase => ({ id: `o${i}`, type: 'out_of_scope', message: faq.question })));
const NEVER_ANSWERS = { answerThreshold: 1.25 };

function report(byType: Record<string, [passed: number, total: number]>): EvalReport {
  const result = createEvalReport();
  for (const [type, [passed, total]] of Object.entries(byType)) result.byType[type] = { passed, total };
  return result;
}

describe('fitEngineTuning', () => {
  it('keeps a threshold that answers what the knowledge covers, and rejects one that never answers', () => {
    const tuning = fitEngineTuning([ANSWERABLE], { candidates: [{ answerThreshold: 0.2 }, NEVER_ANSWERS] });
    expect(tuning).toEqual({ answerThreshold: 0.2 });
    expect(runEvaluation(ANSWERABLE, tuning).byType.answer?.passed).toBeGreaterThan(FAQS.length / 2);
  });

  it('raises the threshold when answering is what fails', () => {
    expect(fitEngineTuning([REFUSE_ALL], { candidates: [{ answerThreshold: 0.2 }, NEVER_ANSWERS] })).toEqual(NEVER_ANSWERS);
  });

  it('picks from the default grid when given no candidates', () => {
    const tuning = fitEngineTuning([ANSWERABLE]);
    expect(ENGINE_TUNING_GRID.answerThreshold).toContain(tuning.answerThreshold);
    const lowest = { answerThreshold: ENGINE_TUNING_GRID.answerThreshold[0] ?? 0 };
    expect(runEvaluation(ANSWERABLE, tuning).byType.answer?.passed).toBe(runEvaluation(ANSWERABLE, lowest).byType.answer?.passed);
  });

  it('scores a held-out dataset with the tuning fitted on the others only', () => {
    const folds = runLeaveOneOut([ANSWERABLE, REFUSE_ALL], { candidates: [{ answerThreshold: 0.2 }, NEVER_ANSWERS] });
    expect(folds.map((fold) => [fold.heldOut.name, fold.tuning])).toEqual([['answerable', NEVER_ANSWERS], ['refuse-all', { answerThreshold: 0.2 }]]);
    // Each held-out set is scored under a tuning fitted for the opposite behaviour.
    expect(folds[0]?.report.byType.answer?.passed).toBe(0);
    expect(folds[1]?.report.byType.out_of_scope?.passed).toBeLessThan(FAQS.length / 2);
  });
});

describe('selectTuning', () => {
  const candidates = [0.1, 0.2, 0.3, 0.4].map((answerThreshold) => ({ answerThreshold }));

  it('weighs every case type the same, not every case', () => {
    // Candidate 0 answers 9 more questions but claims knowledge on 2 more out-of-scope ones.
    const grid: TuningGridResult = { candidates: candidates.slice(0, 2), reports: [[report({ answer: [90, 100], out_of_scope: [8, 10] }), report({ answer: [81, 100], out_of_scope: [10, 10] })]] };
    expect(selectTuning(grid, [0])).toMatchObject({ index: 1, score: 0.905 });
  });

  it('weighs every dataset the same and takes the middle of a plateau', () => {
    const big = [0.5, 0.9, 0.9, 0.9].map((rate) => report({ answer: [rate * 1_000, 1_000] }));
    const small = [1, 0.5, 0.5, 0.5].map((rate) => report({ answer: [rate * 2, 2] }));
    // Means over the two datasets: 0.75, 0.7, 0.7, 0.7: the small dataset counts as much as the big one.
    expect(selectTuning({ candidates, reports: [big, small] }, [0, 1]).index).toBe(0);
    // On the big dataset alone 0.2, 0.3 and 0.4 tie: the middle one.
    expect(selectTuning({ candidates, reports: [big, small] }, [0]).tuning).toEqual({ answerThreshold: 0.3 });
  });

  it('fits each fold on the other datasets only', () => {
    const datasets = [ANSWERABLE, REFUSE_ALL, bakery('third', [])];
    const bestAt = (best: number): EvalReport[] => candidates.map((_, c) => report({ answer: [c === best ? 1 : 0, 1] }));
    const folds = foldLeaveOneOut(datasets, { candidates, reports: [bestAt(0), bestAt(3), bestAt(3)] });
    // Held out first: the other two agree on 0.4. Held out second or third: the others tie on 0.1 and 0.4, the
    // middle of that tie being the first. Never the held-out set's own best, so it passes nothing.
    expect(folds.map((fold) => fold.tuning.answerThreshold)).toEqual([0.4, 0.1, 0.1]);
    expect(folds.map((fold) => fold.report.byType.answer?.passed)).toEqual([0, 0, 0]);
  });
});

describe('the shipped tuning', () => {
  it('is a valid tuning the engine reads at load', () => {
    expect(parseEngineTuning(DEFAULT_ENGINE_TUNING)).toEqual(DEFAULT_ENGINE_TUNING);
    expect(() => parseEngineTuning({ answerThreshold: 2 })).toThrow(/answerThreshold/);
  });

  it('lists every combination of the grid', () => {
    expect(listTuningCandidates()).toHaveLength(ENGINE_TUNING_GRID.answerThreshold.length);
  });
});
