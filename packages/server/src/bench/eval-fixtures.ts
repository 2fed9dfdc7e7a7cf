import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EvalDataset } from '../modules/chat/engine/evaluation.js';

/** The eval datasets kept in the repo (a copy of ../shared/eval, plus the holdout set). */
export const EVAL_FIXTURES_DIR = fileURLToPath(new URL('../../src/modules/chat/engine/fixtures/', import.meta.url));
export const DEV_DATASET_FILE = 'dev-acme-plumbing.json';
export const HOLDOUT_DATASET_FILE = 'holdout-dental.json';

/** Reads an eval dataset; a bare file name is looked up in the fixtures folder (works from src/ and dist/). */
export function readEvalDataset(file: string): EvalDataset {
  const location = file.includes('/') ? file : `${EVAL_FIXTURES_DIR}${file}`;
  return JSON.parse(readFileSync(location, 'utf8')) as EvalDataset;
}
