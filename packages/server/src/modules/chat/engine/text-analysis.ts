import { stemmer } from 'stemmer';
import { OFF_TOPIC_WORDS, SLANG, STOPWORDS, SYNONYM_GROUPS } from './vocabulary.data.js';

/** One content word of a text: its surface form, Porter stem and the synonym concepts it belongs to. */
export interface TextUnit {
  word: string;
  stem: string;
  concepts: string[];
}

/** A text broken into content words plus concepts found through multi-word phrases ("how much", "hot water tank"). */
export interface AnalyzedText {
  units: TextUnit[];
  phraseConcepts: string[];
}

/** Concept terms are prefixed so they can never collide with a real stem in the index. */
export const CONCEPT_PREFIX = '_';

interface PhraseRule {
  stems: string[];
  concept: string;
}

const WORD_CONCEPTS = new Map<string, string[]>();
const PHRASES_BY_FIRST_STEM = new Map<string, PhraseRule[]>();

/** Lowercases, unifies apostrophes and expands contractions so "what's" and "whats" analyse alike. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\bwon't\b/g, 'will not')
    .replace(/\bcan't\b/g, 'can not')
    .replace(/n't\b/g, ' not')
    .replace(/'re\b/g, ' are')
    .replace(/'ve\b/g, ' have')
    .replace(/'ll\b/g, ' will')
    .replace(/'d\b/g, ' would')
    .replace(/'m\b/g, ' am')
    .replace(/'s\b/g, '');
}

/** Splits normalised text into lowercase word tokens, with chat slang rewritten ("u" → "you"). */
export function tokenizeWords(text: string): string[] {
  const words: string[] = [];
  for (const raw of normalizeText(text).split(/[^a-z0-9'/]+/)) {
    const token = raw.replace(/^'+|'+$/g, '');
    if (!token) continue;
    const slang = SLANG[token];
    if (slang) {
      words.push(...slang.split(' '));
    } else if (token.includes('/') && token !== '24/7') {
      words.push(...token.split('/').filter(Boolean));
    } else {
      words.push(token);
    }
  }
  return words;
}

/** Porter stem with a small cache: the same few thousand words are stemmed over and over. */
const STEM_CACHE = new Map<string, string>();
const STEM_CACHE_MAX_ENTRIES = 200_000;
/** Returns the Porter stem of a lowercase word. */
export function stemWord(word: string): string {
  let stem = STEM_CACHE.get(word);
  if (stem === undefined) {
    stem = /^[a-z]+$/.test(word) ? stemmer(word) : word;
    if (STEM_CACHE.size < STEM_CACHE_MAX_ENTRIES) STEM_CACHE.set(word, stem);
  }
  return stem;
}

function addWordConcept(stem: string, concept: string): void {
  const list = WORD_CONCEPTS.get(stem);
  if (!list) WORD_CONCEPTS.set(stem, [concept]);
  else if (!list.includes(concept)) list.push(concept);
}

function loadSynonyms(): void {
  for (const group of SYNONYM_GROUPS) {
    const members = group.split('|');
    const concept = CONCEPT_PREFIX + stemWord(members[0] ?? 'x').replace(/\s+/g, '-');
    for (const member of members) {
      const stems = tokenizeWords(member).map(stemWord);
      if (stems.length === 1 && stems[0]) addWordConcept(stems[0], concept);
      else if (stems.length > 1 && stems[0]) {
        const rules = PHRASES_BY_FIRST_STEM.get(stems[0]) ?? [];
        rules.push({ stems, concept });
        PHRASES_BY_FIRST_STEM.set(stems[0], rules);
      }
    }
  }
}
loadSynonyms();

/** Returns whether a token is noise for retrieval (stopword, single character, bare small number). */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word) || word.length < 2 || /^\d$/.test(word);
}

/** Breaks a text into content units and phrase concepts; the same analysis runs on knowledge and on questions. */
export function analyzeText(text: string): AnalyzedText {
  const words = tokenizeWords(text);
  const stems = words.map(stemWord);
  const phraseConcepts: string[] = [];
  // Words of a question frame ("how long", "what time", "how much") are carried by the frame's concept;
  // keeping "long" or "time" as words of their own would match unrelated entries that happen to use them.
  const consumed = new Set<number>();
  for (let i = 0; i < stems.length; i++) {
    const rules = PHRASES_BY_FIRST_STEM.get(stems[i] ?? '');
    if (!rules) continue;
    for (const rule of rules) {
      let matches = true;
      for (let j = 1; j < rule.stems.length; j++) {
        if (stems[i + j] !== rule.stems[j]) {
          matches = false;
          break;
        }
      }
      if (!matches) continue;
      if (!phraseConcepts.includes(rule.concept)) phraseConcepts.push(rule.concept);
      if (isStopword(words[i] ?? '')) for (let j = 0; j < rule.stems.length; j++) consumed.add(i + j);
    }
  }
  const units: TextUnit[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (isStopword(word) || consumed.has(i)) continue;
    const stem = stems[i] ?? word;
    units.push({ word, stem, concepts: WORD_CONCEPTS.get(stem) ?? [] });
  }
  return { units, phraseConcepts };
}

/** Returns the index terms of an analysed text: every stem plus every concept, so exact words count twice. */
export function collectTerms(analyzed: AnalyzedText): string[] {
  const terms: string[] = [];
  for (const unit of analyzed.units) {
    terms.push(unit.stem);
    for (const concept of unit.concepts) terms.push(concept);
  }
  terms.push(...analyzed.phraseConcepts);
  return terms;
}

/** Returns the synonym concepts of a single (already stemmed) word. */
export function lookupConcepts(stem: string): string[] {
  return WORD_CONCEPTS.get(stem) ?? [];
}

/** Returns whether a word belongs to a topic no small business answers (weather, sports, homework, …). */
export function isOffTopicWord(word: string): boolean {
  return OFF_TOPIC_WORDS.has(word);
}
