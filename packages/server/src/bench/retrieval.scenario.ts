import { performance } from 'node:perf_hooks';
import MiniSearch from 'minisearch';
import { buildKnowledgeIndex, type KnowledgeEntry } from '../modules/chat/engine/index.js';
import { createLatencyQueries, createSyntheticEntries, timeSearches } from '../modules/chat/engine/retrieval.latency.js';
import { isStopword, stemWord } from '../modules/chat/engine/text-analysis.js';
import { measure, type BenchMeasurement, type BenchOutcome, type BenchScenario } from './scenario.js';

/**
 * Retrieval latency for one chatbot's knowledge base of n synthetic entries (engine/retrieval.latency.ts),
 * as a ratio to plain BM25 — minisearch with stemming and stopwords, the "search box" the engine improves
 * on — over the same corpus and the same visitor-style questions, in the same process and run.
 */

const TIMED_QUERIES = 500;
const WARMUP_QUERIES = 200;
const RESULT_LIMIT = 5;

function buildBaselineSearch(entries: readonly KnowledgeEntry[]): (query: string) => unknown {
  const processTerm = (term: string): string | null => (isStopword(term) ? null : stemWord(term));
  const search = new MiniSearch<KnowledgeEntry>({ fields: ['title', 'question', 'answer', 'text'], storeFields: [], processTerm });
  search.addAll(entries);
  return (query) => search.search(query).slice(0, RESULT_LIMIT);
}

function measureSize(n: number): { measurements: BenchMeasurement[]; note: string } {
  const entries = createSyntheticEntries(n);
  const queries = createLatencyQueries(entries, TIMED_QUERIES + WARMUP_QUERIES);
  let startedAt = performance.now();
  const index = buildKnowledgeIndex(entries);
  const engineBuildMs = performance.now() - startedAt;
  const engine = timeSearches((query) => index.search(query, RESULT_LIMIT), queries, WARMUP_QUERIES);
  startedAt = performance.now();
  const baselineSearch = buildBaselineSearch(entries);
  const baselineBuildMs = performance.now() - startedAt;
  const baseline = timeSearches(baselineSearch, queries, WARMUP_QUERIES);
  const size = n.toLocaleString('en-US');
  return {
    measurements: [
      measure(`retrieval p50 @ ${size} entries`, engine.p50Ms, 'ms', { label: 'minisearch BM25 p50', value: baseline.p50Ms }),
      measure(`retrieval p99 @ ${size} entries`, engine.p99Ms, 'ms', { label: 'minisearch BM25 p99', value: baseline.p99Ms }),
    ],
    note: `${size} entries: engine index built in ${Math.round(engineBuildMs)} ms (minisearch ${Math.round(baselineBuildMs)} ms); minisearch p50 ${baseline.p50Ms} ms, p99 ${baseline.p99Ms} ms`,
  };
}

function createRetrievalScenario(name: string, sizes: readonly number[], summary: string): BenchScenario {
  return {
    name,
    summary,
    isDefault: true,
    async run(context): Promise<BenchOutcome> {
      const measurements: BenchMeasurement[] = [];
      const notes: string[] = [];
      for (const n of sizes) {
        context.log(`${name}: ${n.toLocaleString('en-US')} entries`);
        const result = measureSize(n);
        measurements.push(...result.measurements);
        notes.push(result.note);
      }
      return { status: 'measured', measurements, notes };
    },
  };
}

export const retrievalScenario = createRetrievalScenario('retrieval', [1_000, 10_000], 'retrieval p50/p99 at 1k and 10k entries vs minisearch BM25 (~8 s)');

// The 100k index takes most of this scenario's ~20 s to build; the search itself stays in milliseconds.
export const retrieval100kScenario = createRetrievalScenario('retrieval-100k', [100_000], 'retrieval p50/p99 at 100k entries vs minisearch BM25 (~25 s, mostly index builds)');
