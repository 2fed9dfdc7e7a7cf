import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EvalDataset } from '../modules/chat/engine/evaluation.js';

/** The eval datasets kept in the repo (a copy of ../shared/eval, plus the holdout set). */
export const EVAL_FIXTURES_DIR = fileURLToPath(new URL('../../src/modules/chat/engine/fixtures/', import.meta.url));
export const DEV_DATASET_FILE = 'dev-acme-plumbing.json';
export const HOLDOUT_DATASET_FILE = 'holdout-dental.json';

/** Every dataset in the fixtures folder, the dev sets first: what `npm run eval` runs without arguments. */
export function listEvalFixtureFiles(): string[] {
  const files = readdirSync(EVAL_FIXTURES_DIR).filter((file) => file.endsWith('.json')).sort();
  return [...files.filter((file) => file.startsWith('dev-')), ...files.filter((file) => !file.startsWith('dev-'))];
}

/** The dev sets (copies of ../shared/eval): the engine tuning is fitted, and left one out, on these only. */
export function listDevFixtureFiles(): string[] {
  return listEvalFixtureFiles().filter((file) => file.startsWith('dev-'));
}

/** Reads an eval dataset; a bare file name is looked up in the fixtures folder (works from src/ and dist/). */
export function readEvalDataset(file: string): EvalDataset {
  const location = file.includes('/') ? file : `${EVAL_FIXTURES_DIR}${file}`;
  return JSON.parse(readFileSync(location, 'utf8')) as EvalDataset;
}
