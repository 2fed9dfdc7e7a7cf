import { performance } from 'node:perf_hooks';
import type { KnowledgeEntry } from './engine.types.js';
import { buildKnowledgeIndex } from './retrieval.index.js';
import { createSeededRandom } from './seeded-random.js';

/** Searches run before timing starts. */
const WARMUP_QUERIES = 200;
const SYLLABLES = ['ka', 'lo', 'mi', 'ser', 'tan', 'vek', 'du', 'ro', 'pal', 'zin', 'fo', 'gri', 'hu', 'ne', 'bar', 'qui', 'to', 'wel'];
/** Everyday business words mixed into synthetic entries so common terms have realistic, long posting lists. */
const COMMON_WORDS = 'price cost hours open appointment service repair install replace water heater drain leak team warranty payment card area city phone email schedule cancel discount free estimate quote emergency weekend holiday'.split(' ');


function makeWord(random: () => number, rareWords: number): string {
  const n = Math.floor(random() * rareWords);
  let word = '';
  let rest = n;
  for (let i = 0; i < 3; i++) {
    word += SYLLABLES[rest % SYLLABLES.length];
    rest = Math.floor(rest / SYLLABLES.length);
  }
  return word + (n % 7 === 0 ? 's' : '');
}

/** Builds n synthetic knowledge entries (90 % FAQs, 10 % documents); entry i's question contains the unique word `uniq<i>x`. */
export function createSyntheticEntries(n: number, seed = 42): KnowledgeEntry[] {
  const random = createSeededRandom(seed);
  const entries: KnowledgeEntry[] = [];
  const sentence = (words: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < words; i++) {
      parts.push(random() < 0.3 ? (COMMON_WORDS[Math.floor(random() * COMMON_WORDS.length)] ?? 'price') : makeWord(random, 5_000));
    }
    return parts.join(' ');
  };
  for (let i = 0; i < n; i++) {
    const marker = `uniq${i}x`;
    if (i % 10 === 9) {
      const text = `${sentence(40)} ${marker}.\n\n${sentence(40)}.\n\n${sentence(30)}.`;
      entries.push({ id: `doc-${i}`, kind: 'document', title: `Guide ${sentence(3)}`, question: null, answer: null, text });
    } else {
      const question = `How does ${sentence(5)} ${marker} work?`;
      entries.push({ id: `faq-${i}`, kind: 'faq', title: question, question, answer: `${sentence(25)}.`, text: null });
    }
  }
  return entries;
}

/** Realistic visitor questions about random entries of a corpus: chit-chat around the question, a common word. */
export function createLatencyQueries(entries: readonly KnowledgeEntry[], count: number, seed = 7): string[] {
  const random = createSeededRandom(seed);
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    const entry = entries[Math.floor(random() * entries.length)];
    const base = entry?.question ?? entry?.text?.slice(0, 120) ?? 'price';
    queries.push(`hi there, quick question about ${base.split(' ').slice(0, 6).join(' ')} and the price on weekends?`);
  }
  return queries;
}

/**
 * Times each of `searches` on every query in turn (interleaved, so a burst of other work on a shared
 * machine hits them alike) after warming up on the first `warmup` queries (the first searches warm the JIT
 * and the common-term caches); returns p50/p99 in milliseconds, unrounded, one per search.
 */
export function timeSearchesInterleaved(searches: readonly ((query: string) => unknown)[], queries: readonly string[], warmup = WARMUP_QUERIES): { p50Ms: number; p99Ms: number }[] {
  const timings = searches.map((): number[] => []);
  queries.forEach((query, i) => {
    searches.forEach((search, s) => {
      const start = performance.now();
      search(query);
      const elapsed = performance.now() - start;
      if (i >= warmup) timings[s]?.push(elapsed);
    });
  });
  return timings.map((list) => {
    list.sort((a, b) => a - b);
    const at = (q: number): number => list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0;
    return { p50Ms: at(0.5), p99Ms: at(0.99) };
  });
}

/** Times one search over `queries` (see timeSearchesInterleaved). */
export function timeSearches(search: (query: string) => unknown, queries: readonly string[], warmup = WARMUP_QUERIES): { p50Ms: number; p99Ms: number } {
  return timeSearchesInterleaved([search], queries, warmup)[0] ?? { p50Ms: 0, p99Ms: 0 };
}

/** Builds an index of n synthetic entries and times searches of realistic questions; returns p50/p99 in milliseconds. */
export function measureRetrievalLatency(n: number, queries = 500): { entries: number; buildMs: number; p50Ms: number; p99Ms: number } {
  const entries = createSyntheticEntries(n);
  const buildStart = performance.now();
  const index = buildKnowledgeIndex(entries);
  const buildMs = performance.now() - buildStart;
  const timing = timeSearches((query) => index.search(query, 5), createLatencyQueries(entries, queries + WARMUP_QUERIES));
  return { entries: n, buildMs: Math.round(buildMs), p50Ms: Number(timing.p50Ms.toFixed(3)), p99Ms: Number(timing.p99Ms.toFixed(3)) };
}
