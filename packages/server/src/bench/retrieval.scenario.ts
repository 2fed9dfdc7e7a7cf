import { performance } from 'node:perf_hooks';
import MiniSearch from 'minisearch';
import { buildKnowledgeIndex, type KnowledgeEntry } from '../modules/chat/engine/index.js';
import { createLatencyQueries, createSyntheticEntries, timeSearchesInterleaved } from '../modules/chat/engine/retrieval.latency.js';
import { isStopword, stemWord } from '../modules/chat/engine/text-analysis.js';
import { measure, type BenchMeasurement, type BenchOutcome, type BenchScenario } from './scenario.js';

/**
 * Retrieval latency for one chatbot's knowledge base of n synthetic entries (engine/retrieval.latency.ts),
 * against two baselines timed in the same process and run, over the same corpus and the same visitor-style
 * questions:
 * - a plain Map lookup loop (each word of the question looked up in a word → count Map of the corpus): the
 *   least work any retrieval does, nearly constant in n, so the ratio shows how retrieval grows with n;
 * - plain BM25 — minisearch with stemming and stopwords, the "search box" the engine improves on — up to
 *   10,000 entries (at 100,000 it needs about a quarter of a second per question, too slow to time here).
 */

const TIMED_QUERIES = 500;
const WARMUP_QUERIES = 200;
const MINISEARCH_TIMED_QUERIES = 100;
const MINISEARCH_WARMUP_QUERIES = 20;
const MINISEARCH_MAX_ENTRIES = 10_000;
const RESULT_LIMIT = 5;

function buildMinisearchSearch(entries: readonly KnowledgeEntry[]): (query: string) => unknown {
  const processTerm = (term: string): string | null => (isStopword(term) ? null : stemWord(term));
  const search = new MiniSearch<KnowledgeEntry>({ fields: ['title', 'question', 'answer', 'text'], storeFields: [], processTerm });
  search.addAll(entries);
  return (query) => search.search(query).slice(0, RESULT_LIMIT);
}

function buildMapLookup(entries: readonly KnowledgeEntry[]): (query: string) => number {
  const counts = new Map<string, number>();
  for (const entry of entries) {
    for (const word of `${entry.title} ${entry.answer ?? ''} ${entry.text ?? ''}`.toLowerCase().split(/[^a-z0-9]+/)) {
      if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return (query) => {
    let found = 0;
    for (const word of query.toLowerCase().split(/[^a-z0-9]+/)) found += counts.get(word) ?? 0;
    return found;
  };
}

function measureSize(n: number): { measurements: BenchMeasurement[]; note: string } {
  const size = n.toLocaleString('en-US');
  const entries = createSyntheticEntries(n);
  const queries = createLatencyQueries(entries, TIMED_QUERIES + WARMUP_QUERIES);
  const startedAt = performance.now();
  const index = buildKnowledgeIndex(entries);
  const buildMs = Math.round(performance.now() - startedAt);
  const [engine, lookup] = timeSearchesInterleaved([(query) => index.search(query, RESULT_LIMIT), buildMapLookup(entries)], queries, WARMUP_QUERIES);
  if (!engine || !lookup) throw new Error('no timings');
  const measurements = [
    measure(`retrieval p50 @ ${size}`, engine.p50Ms, 'ms', { label: 'Map lookup loop p50 ms', value: lookup.p50Ms }),
    measure(`retrieval p99 @ ${size}`, engine.p99Ms, 'ms', { label: 'Map lookup loop p99 ms', value: lookup.p99Ms }),
  ];
  const ms = (value: number): string => `${value.toFixed(value < 0.1 ? 4 : 3)} ms`;
  let note = `${size} entries: engine p50 ${ms(engine.p50Ms)}, p99 ${ms(engine.p99Ms)}, index built in ${buildMs} ms; Map lookup p50 ${ms(lookup.p50Ms)}, p99 ${ms(lookup.p99Ms)}`;
  if (n <= MINISEARCH_MAX_ENTRIES) {
    // Timed on fewer questions (it is slow), interleaved with the engine on the same ones for a fair ratio.
    const bm25Queries = queries.slice(0, MINISEARCH_TIMED_QUERIES + MINISEARCH_WARMUP_QUERIES);
    const [engineSample, bm25] = timeSearchesInterleaved([(query) => index.search(query, RESULT_LIMIT), buildMinisearchSearch(entries)], bm25Queries, MINISEARCH_WARMUP_QUERIES);
    if (!engineSample || !bm25) throw new Error('no timings');
    measurements.push(measure(`retrieval p50 @ ${size}`, engineSample.p50Ms, 'ms', { label: 'minisearch BM25 p50 ms', value: bm25.p50Ms }));
    note += `; minisearch BM25 p50 ${ms(bm25.p50Ms)}, p99 ${ms(bm25.p99Ms)}`;
  }
  return { measurements, note };
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

export const retrievalScenario = createRetrievalScenario('retrieval', [1_000, 10_000], 'retrieval p50/p99 at 1k and 10k entries vs a Map lookup loop and minisearch BM25 (~10 s)');

// The 100k index takes most of this scenario's ~20 s to build; the search itself stays in milliseconds.
export const retrieval100kScenario = createRetrievalScenario('retrieval-100k', [100_000], 'retrieval p50/p99 at 100k entries vs a Map lookup loop (~20 s, mostly the index build)');
