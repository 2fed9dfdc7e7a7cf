/**
 * The eval datasets (../shared/eval format) run directly against the built-in engine, in-process (a couple of
 * seconds), with the settings a new chatbot gets: the same tables and flags as `npm run eval`, without HTTP.
 * Usage: npx tsx packages/server/src/scripts/eval-engine.ts [dataset.json ...] [--failures] [--leave-one-out] [--fit] [--bench]
 */
import { listDevFixtureFiles, listEvalFixtureFiles, readEvalDataset } from '../bench/eval-fixtures.js';
import { describeShippedTuning, fitAndWriteTuning, parseEvalArgs, printEvalTables, printLeaveOneOut, PRODUCT_ENGINE_SETTINGS, reportFailures } from '../bench/eval-cli.js';
import { runEvaluation } from '../modules/chat/engine/evaluation.js';
import { measureRetrievalLatency } from '../modules/chat/engine/retrieval.latency.js';

const BENCH_SIZES = [1_000, 10_000, 100_000];

const args = parseEvalArgs(process.argv.slice(2), ['--failures', '--leave-one-out', '--fit', '--bench']);
if (args.fit) {
  fitAndWriteTuning(listDevFixtureFiles().map(readEvalDataset));
} else {
  const datasets = (args.files.length > 0 ? args.files : listEvalFixtureFiles()).map(readEvalDataset);
  const rows = datasets.map((dataset) => ({ name: dataset.name, report: runEvaluation(dataset, PRODUCT_ENGINE_SETTINGS) }));
  printEvalTables(`engine only (in-process), tuning ${describeShippedTuning()}`, rows);
  reportFailures('engine', rows, args.printFailures);
  if (args.leaveOneOut) printLeaveOneOut(listDevFixtureFiles().map(readEvalDataset), 'engine only (in-process)');
}
if (args.bench) {
  console.log('## retrieval latency (one chatbot, synthetic knowledge)');
  for (const n of BENCH_SIZES) {
    const result = measureRetrievalLatency(n);
    console.log(`  ${String(n).padStart(7)} entries: build ${result.buildMs} ms, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
  }
}
