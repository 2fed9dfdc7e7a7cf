import type { EngineSettings } from './engine.types.js';
import { toSettingsOverride, type EngineTuning } from './engine-tuning.js';
import { createEvalReport, runEvaluation, type EvalDataset, type EvalReport } from './evaluation.js';

/**
 * Fitting the engine tuning on eval datasets: a grid search over candidate tunings, each run in-process on
 * every dataset with `runEvaluation`.
 *
 * Objective, maximised: the mean over datasets of the mean pass rate over that dataset's case types (answer,
 * lead, escalate, no_escalate, out_of_scope), each type and each business weighing the same whatever its number
 * of cases. With about 90 answer cases and 12 out-of-scope ones per dataset, claiming knowledge on one more
 * out-of-scope question costs as much as declining about seven more answerable ones.
 * The answer threshold moves answer and out_of_scope directly, and escalate/no_escalate through the
 * unanswered-turn count (`maxFailedAnswers`); lead does not depend on it today, which only adds a constant, but
 * it keeps the objective right for the fields that will join the tuning.
 */

/** Per field, the values the grid search tries; the candidates are every combination. */
export type EngineTuningGrid = { [K in keyof EngineTuning]: readonly EngineTuning[K][] };

/**
 * 0.05 … 0.6 by 0.05: below 0.05 nearly anything is "answered", above 0.6 nearly nothing is. A finer step would
 * only fit noise (12 out-of-scope cases per business) and each step costs a run of every dataset.
 */
export const ENGINE_TUNING_GRID: EngineTuningGrid = {
  answerThreshold: Array.from({ length: 12 }, (_, i) => Math.round((0.05 + 0.05 * i) * 100) / 100),
};

export interface FitOptions {
  /** The tunings to choose from, in order (ties go to the middle of the tied ones); default: every combination of `ENGINE_TUNING_GRID`. */
  candidates?: readonly EngineTuning[];
  /** Settings the tuning is fitted under (e.g. the product's default lead-capture and escalation settings). */
  settings?: Partial<EngineSettings>;
}

/** Every dataset's report under every candidate: reports[dataset][candidate]. */
export interface TuningGridResult {
  candidates: readonly EngineTuning[];
  reports: EvalReport[][];
}

export interface LeaveOneOutFold {
  heldOut: EvalDataset;
  /** The tuning fitted on the other datasets. */
  tuning: EngineTuning;
  /** The objective of that tuning on the datasets it was fitted on. */
  fittedScore: number;
  /** The held-out dataset's report under that tuning. */
  report: EvalReport;
}

/** Every combination of a grid's values, the first field varying slowest. */
export function listTuningCandidates(grid: EngineTuningGrid = ENGINE_TUNING_GRID): EngineTuning[] {
  let combinations: Record<string, unknown>[] = [{}];
  for (const [field, values] of Object.entries(grid) as [string, readonly unknown[]][]) {
    combinations = combinations.flatMap((partial) => values.map((value) => ({ ...partial, [field]: value })));
  }
  return combinations as unknown as EngineTuning[];
}

/** One dataset's term of the objective: the mean pass rate over its case types. */
export function scoreReport(report: EvalReport): number {
  const tallies = Object.values(report.byType).filter((tally) => tally.total > 0);
  if (tallies.length === 0) return 0;
  return tallies.reduce((sum, tally) => sum + tally.passed / tally.total, 0) / tallies.length;
}

/** Runs every dataset under every candidate (the expensive part: one `runEvaluation` per pair). */
export function evaluateTuningGrid(datasets: readonly EvalDataset[], options: FitOptions = {}): TuningGridResult {
  const candidates = options.candidates ?? listTuningCandidates();
  if (candidates.length === 0) throw new Error('fitting the engine tuning needs at least one candidate');
  const reports = datasets.map((dataset) => candidates.map((tuning) => runEvaluation(dataset, { ...options.settings, ...toSettingsOverride(tuning) })));
  return { candidates, reports };
}

/** The objective of every candidate of a grid result over some of its datasets (indexes into `reports`). */
export function scoreCandidates(grid: TuningGridResult, datasetIndexes: readonly number[]): number[] {
  if (datasetIndexes.length === 0) throw new Error('fitting the engine tuning needs at least one dataset');
  return grid.candidates.map((_, c) => {
    const total = datasetIndexes.reduce((sum, d) => sum + scoreReport(grid.reports[d]?.[c] ?? createEvalReport()), 0);
    return total / datasetIndexes.length;
  });
}

/** The candidate (and its index) with the best objective over some of a grid result's datasets, with that objective. */
export function selectTuning(grid: TuningGridResult, datasetIndexes: readonly number[]): { index: number; tuning: EngineTuning; score: number } {
  const scores = scoreCandidates(grid, datasetIndexes);
  const best = Math.max(...scores);
  // Plateaus of equal scores are common (confidence moves in steps); their middle is the choice least likely
  // to sit on the edge where another business tips over.
  const tied = scores.flatMap((score, c) => (best - score < 1e-9 ? [c] : []));
  const index = tied[Math.floor((tied.length - 1) / 2)] ?? 0;
  return { index, tuning: { ...(grid.candidates[index] as EngineTuning) }, score: best };
}

/** Fits the engine tuning on datasets: the grid candidate that maximises the objective above. */
export function fitEngineTuning(datasets: readonly EvalDataset[], options: FitOptions = {}): EngineTuning {
  const grid = evaluateTuningGrid(datasets, options);
  return selectTuning(grid, datasets.map((_, d) => d)).tuning;
}

/**
 * For each dataset, fits on all the others and reports the held-out one under that tuning: how the fitted
 * tuning does on a business it has not seen. Runs the grid once, as every fold reuses the same reports.
 */
export function runLeaveOneOut(datasets: readonly EvalDataset[], options: FitOptions = {}): LeaveOneOutFold[] {
  if (datasets.length < 2) throw new Error('leave-one-out needs at least two datasets');
  return foldLeaveOneOut(datasets, evaluateTuningGrid(datasets, options));
}

/** The leave-one-out folds of a grid result whose reports are in the order of `datasets`. */
export function foldLeaveOneOut(datasets: readonly EvalDataset[], grid: TuningGridResult): LeaveOneOutFold[] {
  return datasets.map((heldOut, held) => {
    const others = datasets.flatMap((_, d) => (d === held ? [] : [d]));
    const { index, tuning, score } = selectTuning(grid, others);
    return { heldOut, tuning, fittedScore: score, report: grid.reports[held]?.[index] ?? createEvalReport() };
  });
}
