/**
 * Runs an eval dataset (../shared/eval format) directly against the built-in engine, without HTTP, and the
 * retrieval latency benchmark. Usage: npx tsx packages/server/src/scripts/eval-engine.ts [dataset.json ...] [--bench]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatEvalReport, runEvaluation, type EvalDataset } from '../modules/chat/engine/evaluation.js';
import { measureRetrievalLatency } from '../modules/chat/engine/retrieval.latency.js';

const DEFAULT_DATASET = 'packages/server/src/modules/chat/engine/fixtures/dev-acme-plumbing.json';
const BENCH_SIZES = [1_000, 10_000, 100_000];

const args = process.argv.slice(2);
const datasets = args.filter((a) => !a.startsWith('--'));
for (const path of datasets.length > 0 ? datasets : [DEFAULT_DATASET]) {
  const dataset = JSON.parse(readFileSync(resolve(process.cwd(), path), 'utf8')) as EvalDataset;
  const report = runEvaluation(dataset);
  console.log(formatEvalReport(`${dataset.name} (${path})`, report).join('\n'));
}
if (args.includes('--bench')) {
  console.log('== retrieval latency (one chatbot, synthetic knowledge)');
  for (const n of BENCH_SIZES) {
    const result = measureRetrievalLatency(n);
    console.log(`  ${String(n).padStart(7)} entries: build ${result.buildMs} ms, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
  }
}
