import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measure, type BenchOutcome, type BenchScenario } from './scenario.js';

/**
 * What the engine's meaning costs a process: loading the word-vector cache and the classifiers, in a fresh
 * Node process each round, against reading the same cache file raw in that process (the least any loader can
 * do) and against the resident memory of the bare process. Rounds alternate and the median is reported.
 */

const ROUNDS = 5;

interface ProbeResult {
  rawReadMs: number;
  loadMs: number;
  classifiersMs: number;
  rssBareMb: number;
  rssLoadedMb: number;
  words: number;
}

/** Runs in the child: imports the compiled engine modules beside this file. */
const PROBE = String.raw`
const { readFileSync } = await import('node:fs');
const { performance } = await import('node:perf_hooks');
const vectorsModule = await import(process.argv[1]);
const classifiersModule = await import(process.argv[2]);
const path = vectorsModule.prepareWordVectors();
const rssBare = process.memoryUsage().rss;
let started = performance.now();
readFileSync(path);
const rawReadMs = performance.now() - started;
started = performance.now();
const vectors = vectorsModule.getWordVectors();
const loadMs = performance.now() - started;
started = performance.now();
classifiersModule.warmUpClassifiers();
const classifiersMs = performance.now() - started;
globalThis.gc?.();
const rssLoaded = process.memoryUsage().rss;
console.log(JSON.stringify({ rawReadMs, loadMs, classifiersMs, rssBareMb: rssBare / 1e6, rssLoadedMb: rssLoaded / 1e6, words: vectors ? vectors.size : 0 }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function probe(): ProbeResult {
  const vectors = fileURLToPath(new URL('../modules/chat/engine/word-vectors.js', import.meta.url));
  const classifiers = fileURLToPath(new URL('../modules/chat/engine/message-classifiers.js', import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, vectors, classifiers], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as ProbeResult;
}

export const embeddingsScenario: BenchScenario = {
  name: 'embeddings',
  summary: 'word-vector cache + classifier load time and resident memory in a fresh process vs a raw read of the cache (~5 s)',
  isDefault: true,
  async run(context): Promise<BenchOutcome> {
    await Promise.resolve();
    const results: ProbeResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      context.log(`embeddings: round ${round + 1}/${ROUNDS}`);
      results.push(probe());
    }
    const load = median(results.map((r) => r.loadMs));
    const raw = median(results.map((r) => r.rawReadMs));
    const classifiers = median(results.map((r) => r.classifiersMs));
    const bare = median(results.map((r) => r.rssBareMb));
    const loaded = median(results.map((r) => r.rssLoadedMb));
    const words = results[0]?.words ?? 0;
    return {
      status: 'measured',
      measurements: [
        measure('word vectors load', load, 'ms', { label: 'raw read of the cache file ms', value: raw }, `${words.toLocaleString('en-US')} words; min–max ${Math.min(...results.map((r) => r.loadMs)).toFixed(0)}–${Math.max(...results.map((r) => r.loadMs)).toFixed(0)} ms`),
        measure('resident memory with vectors + classifiers', loaded, 'MB', { label: 'same process before loading MB', value: bare }, `+${(loaded - bare).toFixed(0)} MB`),
      ],
      notes: [`median of ${ROUNDS} fresh processes: vectors ${load.toFixed(0)} ms, classifiers ${classifiers.toFixed(0)} ms (cached weights), raw read ${raw.toFixed(0)} ms; RSS ${bare.toFixed(0)} → ${loaded.toFixed(0)} MB`],
    };
  },
};
