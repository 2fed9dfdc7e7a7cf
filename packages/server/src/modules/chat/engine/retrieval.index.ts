import MiniSearch from 'minisearch';
import SearchableMap from 'minisearch/SearchableMap';
import type { KnowledgeEntry, KnowledgeIndex, LearnedExample, RetrievalHit } from './engine.types.js';
import { calibrate, DEFAULT_RANKER_MODEL, scoreCandidate, type RankerModel } from './ranker.js';
import { embedWords } from './text-classifier.js';
import { analyzeQuery, analyzeText, collectTerms, CONCEPT_PREFIX, isOffTopicWord, isStopword, tokenizeWords, type AnalyzedQuery, type TextUnit } from './text-analysis.js';
import { getWordVectors, type WordVectors } from './word-vectors.js';

/** How many BM25 candidates are re-ranked with the slower, calibrated scorer. */
const RERANK_CANDIDATES = 30;
/** Documents are quoted passage by passage; a paragraph longer than this is cut at sentence ends. */
const PASSAGE_MAX_CHARS = 700;
/** A synonym match counts a little less than the visitor's own word. */
const CONCEPT_MATCH_CREDIT = 0.85;
/** A spelling-corrected word counts less than a word spelled as in the knowledge base. */
const CORRECTED_MATCH_CREDIT = 0.6;
/** Candidate generation ignores terms found in more than this share of entries (they still count when re-ranking)… */
const CANDIDATE_MAX_DF_SHARE = 0.005;
/** …unless the knowledge base is small: up to this many entries per term, every term generates candidates. */
const CANDIDATE_MIN_DF_CAP = 300;
/** At most this many postings are scored by BM25 per search (keeps p99 flat at 100k entries). */
const CANDIDATE_POSTING_BUDGET = 400;
/** Entries cached per common term, and how many common terms contribute them. */
const CHAMPIONS_PER_TERM = 20;
const CHAMPION_TERMS_PER_QUERY = 2;
const FIELD_BOOSTS = { q: 2, b: 1 };
/** How sharply rare words outweigh common ones in coverage (the IDF is raised to this power). */
const IDF_POWER = 1;
/** A knowledge base this small is scored whole by meaning, so an entry that shares no word with the question can still win. */
const SCORE_ALL_MAX_DOCS = 400;
/** Word similarities below this are noise in 100-dimension vectors; above it they count proportionally. */
const SOFT_MATCH_FLOOR = 0.45;
/** In a large knowledge base, how many of the lexically best candidates get the word-vector features. */
const SEMANTIC_CANDIDATES = 12;
/** How many of the best candidates after the word-vector features also get the best-sentence feature. */
const SENTENCE_CANDIDATES = 6;

type DocKind = 'faq' | 'passage' | 'curated' | 'learned';
type AnswerType = 'money' | 'duration' | 'clock' | 'phone' | 'date' | 'address';

interface IndexedDoc {
  id: number;
  entryId: string;
  kind: DocKind;
  /** The question this doc stands for (FAQ, curated, learned paraphrase); null for passages. */
  questionUnits: TextUnit[] | null;
  /** Terms counted in document frequencies. */
  terms: Set<string>;
  /** Terms a query is matched against (a learned paraphrase adds its target's terms). */
  coverageTerms: Set<string>;
  text: string;
  answerTypes: Set<AnswerType>;
  learnedWeight: number;
  /** Computed when the doc is first re-ranked (most docs of a large index never are): keeps building cheap. */
  meaning: DocMeaning | null;
}

interface DocMeaning {
  /** Word-vector indices of the doc's distinct content words (question, title and body). */
  vectorWords: Int32Array;
  /** Meaning of the question (FAQ, curated, learned) and of the body, as unit vectors; null without vectors. */
  questionVector: Float32Array | null;
  bodyVector: Float32Array | null;
  /** Each sentence of the text, for how well one sentence answers the question (a long answer covers many topics). */
  sentences: { terms: Set<string>; vectorWords: Int32Array }[];
}

/** What the re-ranker saw for one candidate: for training the ranker (`npm run eval -- --fit`) and for tests. */
export interface CandidateExplanation {
  entryId: string;
  text: string;
  features: number[];
  score: number;
}

interface StoredEntry {
  entry: KnowledgeEntry;
  docIds: number[];
}

interface QueryUnit {
  stem: string;
  concepts: string[];
  credit: number;
  word: string;
  /** How much the word counts in the visitor's message (the question itself 1, surrounding chit-chat less). */
  weight: number;
}

/** Splits a document into passages: paragraphs, with long ones cut at sentence boundaries. */
export function splitIntoPassages(text: string): string[] {
  const passages: string[] = [];
  for (const paragraph of text.split(/\n\s*\n|\r\n\s*\r\n/)) {
    const clean = paragraph.replace(/\s+/g, ' ').trim();
    if (!clean) continue;
    if (clean.length <= PASSAGE_MAX_CHARS) {
      passages.push(clean);
      continue;
    }
    const sentences = clean.match(/[^.!?]+(?:[.!?]+|$)\s*/g) ?? [clean];
    let current = '';
    for (const sentence of sentences) {
      if (current && current.length + sentence.length > PASSAGE_MAX_CHARS) {
        passages.push(current.trim());
        current = '';
      }
      current += sentence;
    }
    if (current.trim()) passages.push(current.trim());
  }
  return passages;
}

/** A street address as businesses write one: a number, a capitalised name, a kind of street ("41 Brighton Road"). */
const STREET_ADDRESS = /\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Terrace|Tce|Place|Pl|Court|Ct|Highway|Hwy|Parkway|Pkwy|Crescent|Cres|Square|Sq|Close|Parade|Pde|Row|Walk|Circle|Trail|Broadway)\b/;
/** Postal codes that only appear in addresses: UK ("EH6 5LA"), Canadian ("M4M 1A1"), a state or province plus digits ("CO 80205", "WA 6019"). */
const POSTAL_CODE = /\b(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|[A-Z]\d[A-Z]\s\d[A-Z]\d|[A-Z]{2,3}\s\d{4,5}(?:-\d{4})?)\b/;

function detectAnswerTypes(text: string): Set<AnswerType> {
  const types = new Set<AnswerType>();
  if (/[$€£]\s?\d|\bfree\b|\d+\s?(?:%|percent|dollars)/i.test(text)) types.add('money');
  if (/\b\d+(?:\s?(?:to|-)\s?\d+)?[\s-]?(?:minutes?|hours?|days?|weeks?|months?|years?)\b|\bsame day\b/i.test(text)) types.add('duration');
  if (/\b\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)(?=\W|$)/i.test(text)) types.add('clock');
  if (/\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}/.test(text)) types.add('phone');
  if (/\b(?:in|since|of|from)\s+(?:19|20)\d\d\b/i.test(text)) types.add('date');
  if (STREET_ADDRESS.test(text) || POSTAL_CODE.test(text)) types.add('address');
  return types;
}

function wantedAnswerTypes(terms: Set<string>): AnswerType[] {
  const wanted: AnswerType[] = [];
  if (terms.has(`${CONCEPT_PREFIX}price`)) wanted.push('money');
  if (terms.has(`${CONCEPT_PREFIX}durat`) || terms.has(`${CONCEPT_PREFIX}quick`)) wanted.push('duration');
  if (['hour', 'weekend', 'weekday', 'timeofday'].some((c) => terms.has(`${CONCEPT_PREFIX}${c}`))) wanted.push('clock');
  if (terms.has(`${CONCEPT_PREFIX}phone`)) wanted.push('phone');
  if (terms.has(`${CONCEPT_PREFIX}found`)) wanted.push('date');
  if (terms.has(`${CONCEPT_PREFIX}locat`)) wanted.push('address');
  return wanted;
}

function toQueryUnits(analyzed: AnalyzedQuery): QueryUnit[] {
  const units: QueryUnit[] = analyzed.units.filter((u) => u.weight > 0).map((u) => ({ stem: u.stem, concepts: u.concepts, credit: 1, word: u.word, weight: u.weight }));
  for (const { concept, weight } of analyzed.phraseConcepts) {
    if (weight > 0 && !units.some((u) => u.concepts.includes(concept) || u.stem === concept)) units.push({ stem: concept, concepts: [], credit: 1, word: concept, weight });
  }
  return units;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += (a[d] ?? 0) * (b[d] ?? 0);
  return sum;
}

class MemoryKnowledgeIndex implements KnowledgeIndex {
  private readonly search_ = new MiniSearch<{ id: number; q: string; b: string }>({
    // The title is folded into the body: a third field would add postings (and latency) for little ranking gain.
    fields: ['q', 'b'],
    tokenize: (text) => (text ? text.split(' ') : []),
    processTerm: (term) => term || null,
  });
  private readonly docs = new Map<number, IndexedDoc>();
  private readonly entries = new Map<string, StoredEntry>();
  private readonly learned = new Map<string, { example: LearnedExample; docId: number }>();
  private readonly docFreq = new Map<string, number>();
  /** Cached best entries per common term; dropped for a term whenever an entry with that term changes. */
  private readonly champions = new Map<string, { id: number; score: number }[]>();
  private readonly surfaceWords = new SearchableMap<number>();
  private nextDocId = 1;

  constructor(private readonly model: RankerModel) {}

  get size(): number {
    return this.entries.size;
  }

  upsert(entry: KnowledgeEntry): void {
    if (this.entries.has(entry.id)) this.removeEntryDocs(entry.id);
    const stored: StoredEntry = { entry, docIds: [] };
    this.entries.set(entry.id, stored);
    if (entry.kind === 'document') {
      for (const passage of splitIntoPassages(entry.text ?? entry.answer ?? '')) {
        stored.docIds.push(this.addDoc(entry.id, 'passage', null, entry.title, passage, passage, 1));
      }
    } else {
      const question = entry.question ?? entry.title;
      const answer = entry.answer ?? entry.text ?? '';
      const kind: DocKind = entry.kind === 'curated' ? 'curated' : 'faq';
      stored.docIds.push(this.addDoc(entry.id, kind, question, entry.title === question ? '' : entry.title, answer, answer, 1));
    }
    for (const [key, learned] of this.learned) {
      if (learned.example.entryId === entry.id && !this.docs.has(learned.docId)) {
        this.learned.set(key, { example: learned.example, docId: this.addLearnedDoc(learned.example) });
      }
    }
  }

  remove(entryId: string): void {
    this.removeEntryDocs(entryId);
    this.entries.delete(entryId);
    for (const [key, learned] of this.learned) {
      if (learned.example.entryId !== entryId) continue;
      this.removeDoc(learned.docId);
      this.learned.delete(key);
    }
  }

  addLearned(example: LearnedExample): void {
    const key = `${example.entryId}\u0000${collectTerms(analyzeText(example.question)).join(' ')}`;
    const existing = this.learned.get(key);
    if (existing) this.removeDoc(existing.docId);
    const merged: LearnedExample = existing
      ? { ...example, weight: Math.max(example.weight, existing.example.weight + 1) }
      : example;
    const docId = this.entries.has(example.entryId) ? this.addLearnedDoc(merged) : -1;
    this.learned.set(key, { example: merged, docId });
  }

  suggestQuestions(limit: number): string[] {
    const questions: string[] = [];
    for (const { entry } of this.entries.values()) {
      if (questions.length >= limit) break;
      if (entry.kind === 'faq' && entry.question && entry.question.length <= 60) questions.push(entry.question);
    }
    return questions;
  }

  search(query: string, limit = 5): RetrievalHit[] {
    const scored = this.scoreCandidates(query);
    const best = new Map<string, { hit: RetrievalHit; score: number }>();
    for (const candidate of scored) {
      const previous = best.get(candidate.doc.entryId);
      if (previous && previous.score >= candidate.score) continue;
      const stored = this.entries.get(candidate.doc.entryId);
      if (!stored) continue;
      const text = candidate.doc.kind === 'learned' ? this.resolveLearnedText(stored, candidate.units) : candidate.doc.text;
      best.set(candidate.doc.entryId, {
        score: candidate.score,
        hit: { entryId: candidate.doc.entryId, kind: stored.entry.kind, title: stored.entry.title, text, confidence: calibrate(this.model, candidate.score), viaLearned: candidate.doc.kind === 'learned' },
      });
    }
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit).map((b) => b.hit);
  }

  /** Every re-ranked candidate with its features: what `fitRanker` trains on. */
  explain(query: string): CandidateExplanation[] {
    return this.scoreCandidates(query).map((c) => ({ entryId: c.doc.entryId, text: c.doc.text, features: c.features, score: c.score }));
  }

  private scoreCandidates(query: string): { doc: IndexedDoc; features: number[]; score: number; units: QueryUnit[] }[] {
    const units = this.correctSpelling(toQueryUnits(analyzeQuery(query)));
    if (units.length === 0 || this.docs.size === 0) return [];

    const boosts = new Map<string, number>();
    for (const unit of units) {
      const credit = unit.credit * unit.weight;
      boosts.set(unit.stem, Math.max(boosts.get(unit.stem) ?? 0, credit));
      for (const concept of unit.concepts) boosts.set(concept, Math.max(boosts.get(concept) ?? 0, credit * CONCEPT_MATCH_CREDIT));
    }
    const scoreAll = this.docs.size <= SCORE_ALL_MAX_DOCS;
    const { selective, common } = this.splitCandidateTerms([...boosts.keys()]);
    const raw: { id: number; score: number }[] = this.search_.search(selective.join(' '), {
      combineWith: 'OR',
      boost: FIELD_BOOSTS,
      boostTerm: (term) => boosts.get(term) ?? 1,
      boostDocument: this.learned.size > 0 ? (id: number) => 1 + Math.log1p(this.docs.get(id)?.learnedWeight ?? 0) * 0.2 : undefined,
    });
    if (common.length > 0 || scoreAll) {
      const seen = new Set(raw.slice(0, RERANK_CANDIDATES).map((r) => r.id));
      const extra = scoreAll ? [...this.docs.keys()].map((id) => ({ id, score: 0 })) : common.flatMap((term) => this.getChampions(term));
      const fresh = extra.filter((c) => !seen.has(c.id) && seen.add(c.id));
      raw.splice(scoreAll ? raw.length : RERANK_CANDIDATES, Infinity, ...fresh.map((c) => ({ id: c.id, score: 0 })));
    }
    if (raw.length === 0) return [];
    const topRaw = raw[0]?.score || 1;

    const queryTerms = new Set(boosts.keys());
    const wanted = wantedAnswerTypes(queryTerms);
    const unitWeights = units.map((u) => this.weighUnit(u) * u.weight);
    const totalWeight = unitWeights.reduce((a, b) => a + b, 0) || 1;
    const offTopic = units.some((u) => isOffTopicWord(u.word) && !this.docFreq.has(u.stem)) ? 1 : 0;
    const vectors = getWordVectors();
    const queryVector = vectors ? embedWords(tokenizeWords(query).filter((w) => !isStopword(w)), vectors) : null;
    const unitVectorIds = vectors ? units.map((u) => vectors.indexOf(u.word)) : [];
    const similarityCache = units.map(() => new Map<number, number>());
    /** IDF-weighted share of the query's words found in a text exactly, or else as a near-synonym by word vectors. */
    const softCoverage = (terms: Set<string>, vectorWords: Int32Array): number => {
      let covered = 0;
      units.forEach((unit, i) => {
        const exact = this.matchCredit(unit, terms);
        const credit = exact > 0 || !vectors ? exact : this.softCredit(vectors, unitVectorIds[i] ?? -1, vectorWords, similarityCache[i]);
        covered += (unitWeights[i] ?? 0) * credit;
      });
      return covered / totalWeight;
    };

    const candidateLimit = scoreAll ? raw.length : RERANK_CANDIDATES + CHAMPIONS_PER_TERM * CHAMPION_TERMS_PER_QUERY;
    // Two stages: every candidate gets the cheap lexical features (soft features at their lower bound: soft
    // coverage ≥ exact coverage, no similarity); only the best of those, or all of a small knowledge base, get
    // the word-vector features. Keeps a large index's p99 flat.
    const staged: { doc: IndexedDoc; features: number[]; score: number; units: QueryUnit[] }[] = [];
    for (const result of raw.slice(0, candidateLimit)) {
      const doc = this.docs.get(result.id as number);
      if (!doc || !this.entries.has(doc.entryId)) continue;
      let matched = 0;
      units.forEach((unit, i) => {
        matched += (unitWeights[i] ?? 0) * this.matchCredit(unit, doc.coverageTerms);
      });
      const coverage = matched / totalWeight;
      const questionMatch = doc.questionUnits ? this.scoreQuestionMatch(doc.questionUnits, queryTerms, coverage) : 0;
      const answerType = wanted.some((type) => doc.answerTypes.has(type)) ? 1 : 0;
      const features = [coverage, questionMatch, result.score / topRaw, answerType, coverage, 0, 0, offTopic, doc.kind === 'curated' ? 1 : 0, 0];
      staged.push({ doc, features, score: scoreCandidate(this.model, features), units });
    }
    if (vectors) {
      // Meaning vectors (two dot products a doc) for every candidate of a small knowledge base, or the lexically
      // best of a large one; then soft word matches (the costlier part) for the best of those.
      const semantic = scoreAll ? staged : [...staged].sort((a, b) => b.score - a.score).slice(0, SEMANTIC_CANDIDATES);
      for (const candidate of semantic) {
        const meaning = this.getMeaning(candidate.doc, vectors);
        candidate.features[5] = queryVector && meaning.questionVector ? cosine(queryVector, meaning.questionVector) : 0;
        candidate.features[6] = queryVector && meaning.bodyVector ? cosine(queryVector, meaning.bodyVector) : 0;
        candidate.score = scoreCandidate(this.model, candidate.features);
      }
      const soft = [...semantic].sort((a, b) => b.score - a.score).slice(0, SEMANTIC_CANDIDATES);
      for (const candidate of soft) {
        candidate.features[4] = softCoverage(candidate.doc.coverageTerms, this.getMeaning(candidate.doc, vectors).vectorWords);
        candidate.score = scoreCandidate(this.model, candidate.features);
      }
      // Third stage: how well the entry's best single sentence covers the question, for the front runners only
      // (the costliest feature; it can only raise a score, and those behind would need it to overtake).
      const front = [...soft].sort((a, b) => b.score - a.score).slice(0, SENTENCE_CANDIDATES);
      for (const candidate of front) {
        candidate.features[9] = Math.max(0, ...this.getMeaning(candidate.doc, vectors).sentences.map((sentence) => softCoverage(sentence.terms, sentence.vectorWords)));
        candidate.score = scoreCandidate(this.model, candidate.features);
      }
    }
    return staged.sort((a, b) => b.score - a.score);
  }

  private getMeaning(doc: IndexedDoc, vectors: WordVectors): DocMeaning {
    if (doc.meaning) return doc.meaning;
    // Recomputed from the doc rather than kept from the build: most docs of a large index never need it.
    const question = doc.questionUnits?.map((u) => u.word) ?? [];
    const body = analyzeText(doc.text).units.map((u) => u.word);
    doc.meaning = {
      vectorWords: Int32Array.from(new Set([...question, ...body].map((w) => vectors.indexOf(w)).filter((i) => i >= 0))),
      questionVector: question.length > 0 ? embedWords(question, vectors) : null,
      bodyVector: body.length > 0 ? embedWords(body, vectors) : null,
      sentences: (doc.text.match(/[^.!?]+(?:[.!?]+|$)/g) ?? [doc.text]).map((sentence) => {
        const analyzed = analyzeText(sentence);
        return { terms: new Set(collectTerms(analyzed)), vectorWords: Int32Array.from(analyzed.units.map((u) => vectors.indexOf(u.word)).filter((i) => i >= 0)) };
      }),
    };
    return doc.meaning;
  }

  /** How close a query word comes to any word of the doc, by word vectors (0 below the noise floor). */
  private softCredit(vectors: WordVectors, wordId: number, docWords: Int32Array, cache: Map<number, number> | undefined): number {
    if (wordId < 0) return 0;
    let best = 0;
    for (const other of docWords) {
      let similarity = cache?.get(other);
      if (similarity === undefined) {
        similarity = vectors.similarity(wordId, other);
        cache?.set(other, similarity);
      }
      if (similarity > best) best = similarity;
    }
    return best <= SOFT_MATCH_FLOOR ? 0 : (best - SOFT_MATCH_FLOOR) / (1 - SOFT_MATCH_FLOOR);
  }

  /**
   * Splits the query terms for candidate generation. In a large knowledge base a common term would make BM25
   * score a large share of the index (minisearch costs microseconds per matching entry), so BM25 runs only on
   * selective terms, within a posting budget; common terms contribute their cached "champion" entries instead
   * (the entries where the term weighs most). All terms still count when re-ranking.
   */
  private splitCandidateTerms(terms: string[]): { selective: string[]; common: string[] } {
    const maxDf = Math.max(CANDIDATE_MIN_DF_CAP, this.docs.size * CANDIDATE_MAX_DF_SHARE);
    const known = terms.filter((t) => this.docFreq.has(t)).sort((a, b) => (this.docFreq.get(a) ?? 0) - (this.docFreq.get(b) ?? 0));
    const selective: string[] = [];
    const common: string[] = [];
    let postings = 0;
    for (const term of known) {
      const df = this.docFreq.get(term) ?? 0;
      if (df <= maxDf && postings + df <= CANDIDATE_POSTING_BUDGET) {
        selective.push(term);
        postings += df;
      } else {
        common.push(term);
      }
    }
    return { selective, common: common.slice(0, CHAMPION_TERMS_PER_QUERY) };
  }

  private getChampions(term: string): { id: number; score: number }[] {
    let champions = this.champions.get(term);
    if (!champions) {
      champions = this.search_
        .search(term, { boost: FIELD_BOOSTS })
        .slice(0, CHAMPIONS_PER_TERM)
        .map((r) => ({ id: r.id as number, score: r.score }));
      this.champions.set(term, champions);
    }
    return champions;
  }

  private scoreQuestionMatch(questionUnits: TextUnit[], queryTerms: Set<string>, queryCoverage: number): number {
    let total = 0;
    let covered = 0;
    for (const unit of questionUnits) {
      const weight = this.weighUnit({ stem: unit.stem, concepts: unit.concepts, credit: 1, word: unit.word, weight: 1 });
      total += weight;
      if (queryTerms.has(unit.stem)) covered += weight;
      else if (unit.concepts.some((c) => queryTerms.has(c))) covered += weight * CONCEPT_MATCH_CREDIT;
    }
    const questionCoverage = total > 0 ? covered / total : 0;
    return questionCoverage + queryCoverage > 0 ? (2 * questionCoverage * queryCoverage) / (questionCoverage + queryCoverage) : 0;
  }

  private matchCredit(unit: QueryUnit, terms: Set<string>): number {
    if (terms.has(unit.stem)) return unit.credit;
    if (unit.concepts.some((c) => terms.has(c))) return unit.credit * CONCEPT_MATCH_CREDIT;
    return 0;
  }

  private idf(term: string): number {
    const n = this.docs.size;
    const df = this.docFreq.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** A word weighs its rarest form; a word unknown to the knowledge base weighs like a rare one, so an off-topic focus word lowers confidence. */
  private weighUnit(unit: QueryUnit): number {
    const known = [unit.stem, ...unit.concepts].filter((t) => this.docFreq.has(t));
    if (known.length === 0) return (this.idf('\u0000unknown')) ** IDF_POWER;
    return Math.max(...known.map((t) => this.idf(t))) ** IDF_POWER;
  }

  private correctSpelling(units: QueryUnit[]): QueryUnit[] {
    return units.map((unit) => {
      if (unit.word.length < 4 || /\d/.test(unit.word) || unit.stem.startsWith(CONCEPT_PREFIX) || isOffTopicWord(unit.word)) return unit;
      if (this.docFreq.has(unit.stem) || unit.concepts.some((c) => this.docFreq.has(c))) return unit;
      const maxDistance = unit.word.length >= 8 ? 2 : unit.word.length >= 5 ? 1 : 0;
      if (maxDistance === 0) return unit;
      let bestWord: string | null = null;
      let bestKey: [number, number] = [Infinity, 0];
      for (const [word, [count, distance]] of this.surfaceWords.fuzzyGet(unit.word, maxDistance)) {
        // Typos rarely hit the first letter; requiring it keeps "taco" from becoming "tank".
        if (word[0] !== unit.word[0]) continue;
        if (distance < bestKey[0] || (distance === bestKey[0] && count > bestKey[1])) {
          bestWord = word;
          bestKey = [distance, count];
        }
      }
      const corrected = bestWord ? analyzeText(bestWord).units[0] : this.untransposeLetters(unit.word);
      if (!corrected) return unit;
      return { stem: corrected.stem, concepts: corrected.concepts, credit: CORRECTED_MATCH_CREDIT, word: unit.word, weight: unit.weight };
    });
  }

  /**
   * Two neighbouring letters swapped ("prcie", "wiat") is the commonest typo and an edit distance of two: the
   * word that swapping them back gives, when the knowledge has it or one of its general synonyms.
   */
  private untransposeLetters(word: string): TextUnit | undefined {
    for (let i = 1; i < word.length - 1; i++) {
      const candidate = `${word.slice(0, i)}${word[i + 1] ?? ''}${word[i] ?? ''}${word.slice(i + 2)}`;
      const unit = analyzeText(candidate).units[0];
      if (unit && (this.docFreq.has(unit.stem) || unit.concepts.some((c) => this.docFreq.has(c)))) return unit;
    }
    return undefined;
  }

  private resolveLearnedText(stored: StoredEntry, units: QueryUnit[]): string {
    const { entry } = stored;
    if (entry.kind !== 'document') return entry.answer ?? entry.text ?? '';
    let bestText = '';
    let bestScore = -1;
    for (const docId of stored.docIds) {
      const doc = this.docs.get(docId);
      if (!doc) continue;
      const score = units.reduce((sum, unit) => sum + this.matchCredit(unit, doc.coverageTerms), 0);
      if (score > bestScore) {
        bestScore = score;
        bestText = doc.text;
      }
    }
    return bestText;
  }

  private addLearnedDoc(example: LearnedExample): number {
    const stored = this.entries.get(example.entryId);
    const id = this.addDoc(example.entryId, 'learned', example.question, '', '', '', example.weight);
    const doc = this.docs.get(id);
    if (doc && stored) {
      // A paraphrase also "contains" the words of the answer it points to, so coverage stays comparable.
      doc.coverageTerms = new Set(doc.terms);
      for (const otherId of stored.docIds) for (const term of this.docs.get(otherId)?.terms ?? []) doc.coverageTerms.add(term);
    }
    return id;
  }

  private addDoc(entryId: string, kind: DocKind, question: string | null, title: string, body: string, text: string, learnedWeight: number): number {
    const id = this.nextDocId++;
    const questionAnalysis = question ? analyzeText(question) : null;
    const q = questionAnalysis ? collectTerms(questionAnalysis) : [];
    const titleAnalysis = analyzeText(title);
    const t = collectTerms(titleAnalysis);
    const bodyAnalysis = analyzeText(body);
    const b = collectTerms(bodyAnalysis);
    const terms = new Set([...q, ...t, ...b]);
    for (const term of terms) {
      this.docFreq.set(term, (this.docFreq.get(term) ?? 0) + 1);
      this.champions.delete(term);
    }
    for (const unit of [...(questionAnalysis?.units ?? []), ...bodyAnalysis.units]) {
      this.surfaceWords.update(unit.word, (count) => (count ?? 0) + 1);
    }
    this.docs.set(id, {
      id,
      meaning: null,
      entryId,
      kind,
      questionUnits: questionAnalysis ? questionAnalysis.units : null,
      terms,
      coverageTerms: terms,
      text,
      answerTypes: detectAnswerTypes(text),
      learnedWeight: kind === 'learned' ? learnedWeight : 0,
    });
    this.search_.add({ id, q: q.join(' '), b: [...t, ...b].join(' ') });
    return id;
  }

  private removeEntryDocs(entryId: string): void {
    const stored = this.entries.get(entryId);
    if (!stored) return;
    for (const docId of stored.docIds) this.removeDoc(docId);
    stored.docIds = [];
  }

  private removeDoc(docId: number): void {
    const doc = this.docs.get(docId);
    if (!doc) return;
    for (const term of doc.terms) {
      this.champions.delete(term);
      const df = (this.docFreq.get(term) ?? 1) - 1;
      if (df <= 0) this.docFreq.delete(term);
      else this.docFreq.set(term, df);
    }
    this.search_.discard(docId);
    this.docs.delete(docId);
  }
}

/** Adds every entry and learned paraphrase to an index, one step at a time (the builders below drive it). */
function* fillIndex(index: MemoryKnowledgeIndex, entries: KnowledgeEntry[], learned: LearnedExample[]): Generator<void> {
  for (const entry of entries) {
    index.upsert(entry);
    yield;
  }
  for (const example of learned) {
    index.addLearned(example);
    yield;
  }
}

/** Builds the in-memory retrieval index for one chatbot's knowledge and learned paraphrases. */
export function buildKnowledgeIndex(entries: KnowledgeEntry[], learned: LearnedExample[] = [], model: RankerModel = DEFAULT_RANKER_MODEL): KnowledgeIndex & { explain(query: string): CandidateExplanation[] } {
  const index = new MemoryKnowledgeIndex(model);
  for (const _step of fillIndex(index, entries, learned));
  return index;
}

/** A build step runs at most this long before it lets other work (other customers' requests) run. */
const BUILD_SLICE_MS = 8;

/**
 * The same index, built in slices that give the event loop back between them: a large knowledge base takes
 * as long to index, but no other request in the process waits for it (one customer's rebuild used to hold
 * every customer's chat and /api/health until it finished).
 */
export async function buildKnowledgeIndexCooperatively(entries: KnowledgeEntry[], learned: LearnedExample[] = [], model: RankerModel = DEFAULT_RANKER_MODEL): Promise<KnowledgeIndex> {
  const index = new MemoryKnowledgeIndex(model);
  let sliceStarted = performance.now();
  for (const _step of fillIndex(index, entries, learned)) {
    if (performance.now() - sliceStarted < BUILD_SLICE_MS) continue;
    await new Promise((resolve) => setImmediate(resolve));
    sliceStarted = performance.now();
  }
  return index;
}
