import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEvaluation, type EvalDataset } from './evaluation.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

function readDataset(file: string): EvalDataset {
  return JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as EvalDataset;
}

function passRates(dataset: EvalDataset): Record<string, number> {
  const { byType } = runEvaluation(dataset);
  return Object.fromEntries(Object.entries(byType).map(([type, tally]) => [type, tally.passed / tally.total]));
}

/**
 * Pass-rate floors (%) on the five dev sets (copies of ../shared/eval), a few points, about one case, below
 * the engine's figures when they were set: a change that loses ground on any business fails here. Raise a floor
 * when the engine improves; `npx tsx packages/server/src/scripts/eval-engine.ts` prints the figures.
 */
const DEV_FLOORS: Record<string, Record<'answer' | 'lead' | 'escalate' | 'no_escalate' | 'out_of_scope', number>> = {
  'dev-acme-plumbing.json': { answer: 79, lead: 75, escalate: 85, no_escalate: 90, out_of_scope: 90 },
  'dev-glenmore-auto-toronto.json': { answer: 51, lead: 85, escalate: 85, no_escalate: 90, out_of_scope: 85 },
  'dev-peak-forge-denver.json': { answer: 52, lead: 85, escalate: 85, no_escalate: 90, out_of_scope: 90 },
  'dev-saltwater-physio-perth.json': { answer: 54, lead: 75, escalate: 65, no_escalate: 90, out_of_scope: 85 },
  'dev-thistle-vets-edinburgh.json': { answer: 40, lead: 90, escalate: 85, no_escalate: 90, out_of_scope: 75 },
};

describe('the engine on the eval datasets', () => {
  it('has a floor for every dev set in the fixtures', () => {
    const devFiles = readdirSync(FIXTURES).filter((file) => file.startsWith('dev-') && file.endsWith('.json'));
    expect(devFiles.sort()).toEqual(Object.keys(DEV_FLOORS).sort());
  });

  it.each(Object.entries(DEV_FLOORS))('stays above its floors on %s', (file, floors) => {
    const rates = passRates(readDataset(file));
    const belowFloor = Object.entries(floors).flatMap(([type, floor]) => {
      const percent = 100 * (rates[type] ?? 0);
      return percent < floor ? [`${type} ${percent.toFixed(1)}% < ${floor}%`] : [];
    });
    expect(belowFloor).toEqual([]);
  });

  it('keeps leads, escalations and refusals right and answers most questions on a business it was not tuned on (dental clinic)', () => {
    const rates = passRates(readDataset('holdout-dental.json'));
    expect(rates.answer).toBeGreaterThanOrEqual(0.8);
    expect(rates.lead).toBeGreaterThanOrEqual(0.75);
    expect(rates.out_of_scope).toBeGreaterThanOrEqual(0.8);
    expect(rates).toMatchObject({ escalate: 1, no_escalate: 1 });
  });
});
