import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEvaluation, type EvalDataset } from './evaluation.js';

const HOLDOUT = JSON.parse(readFileSync(new URL('./fixtures/holdout-dental.json', import.meta.url), 'utf8')) as EvalDataset;

describe('the engine on a business it was not tuned on (dental clinic)', () => {
  it('keeps leads, escalations and refusals right and answers most questions', () => {
    const { byType } = runEvaluation(HOLDOUT);
    const share = (type: string): number => (byType[type]?.passed ?? 0) / (byType[type]?.total ?? 1);
    expect(share('answer')).toBeGreaterThanOrEqual(0.9);
    expect(share('lead')).toBe(1);
    expect(share('escalate')).toBe(1);
    expect(share('no_escalate')).toBe(1);
    expect(share('out_of_scope')).toBe(1);
  });
});
