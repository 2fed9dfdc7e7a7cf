import { stemmer } from 'stemmer';
import { IRREGULAR_FORMS, OFF_TOPIC_WORDS, SLANG, STOPWORDS, SYNONYM_GROUPS } from './vocabulary.data.js';

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

/** Whether an analysed text names anything: a content word, or a phrase such as "how much" (all question frame). */
export function hasContent(analyzed: AnalyzedText): boolean {
  return analyzed.units.length > 0 || analyzed.phraseConcepts.length > 0;
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
    // "what's wrong" must read like "whats wrong" (slang → "what is wrong"); other 's are possessives.
    .replace(/\b(what|that|it|there|here|who|where|when|how|he|she)'s\b/g, '$1 is')
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
/** Returns the Porter stem of a lowercase word (of its base form for common irregular verbs). */
export function stemWord(word: string): string {
  let stem = STEM_CACHE.get(word);
  if (stem === undefined) {
    stem = /^[a-z]+$/.test(word) ? stemmer(IRREGULAR_FORMS[word] ?? word) : word;
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
  const spanConcepts: string[][] = [];
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
      if (isStopword(words[i] ?? '')) {
        for (let j = 0; j < rule.stems.length; j++) consumed.add(i + j);
      } else {
        // The words of an idiom ("right now", "pick up") stand for its concept: they match it as a synonym
        // instead of adding it as one more word, so an idiom does not outweigh the rest of the question.
        for (let j = 0; j < rule.stems.length; j++) (spanConcepts[i + j] ??= []).push(rule.concept);
      }
    }
  }
  const units: TextUnit[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (isStopword(word) || consumed.has(i)) continue;
    const stem = stems[i] ?? word;
    const concepts = WORD_CONCEPTS.get(stem) ?? [];
    const extra = spanConcepts[i]?.filter((c) => !concepts.includes(c));
    units.push({ word, stem, concepts: extra?.length ? [...concepts, ...extra] : concepts });
  }
  return { units, phraseConcepts };
}

/** A query word with how much it counts (1 for the question itself, less for the story around it, 0 when ruled out). */
export interface WeightedTextUnit extends TextUnit {
  weight: number;
}

/** A visitor's message analysed for retrieval: its words and phrase concepts, each with a weight. */
export interface AnalyzedQuery {
  units: WeightedTextUnit[];
  phraseConcepts: { concept: string; weight: number }[];
}

/** Words in sentences around the question ("Just moved here lol. …?") count this much. */
const CONTEXT_WEIGHT = 0.5;
/** A clause that rules something out ("…, not the emergency one", "besides cash") runs to the next punctuation. */
const CONTRAST_PATTERN = /(?:,\s*(?:but\s+)?not\b|\bbut not\b|\bother than\b|\bbesides\b|\bexcept(?:\s+for)?\b|\brather than\b|\binstead of\b)([^,;.!?]*)/gi;

/** A clause that asks something, question mark or not ("…, can he take one of your loaners"). */
const INTERROGATIVE_CLAUSE = /^\s*(?:(?:so|and|also|just|ok|okay|but|or|plus|btw|then)\s+)*(?:can|could|do|does|did|is|are|was|will|would|should|shall|may|might|have|has|what|whats|what's|how|hows|how's|when|whens|where|wheres|where's|who|whos|who's|which|why|any chance|is there|are there)\b/i;

/** A wh-word after one word of lead-in ("roughly how long", "and where"). */
const LED_IN_WH_CLAUSE = /^\s*(?:[a-z']+\s+)?(?:what|how|when|where|who|which|why)\b/i;
/** "When you put in a new one, do you…": a when/if clause about a situation, not a question of its own. */
const SITUATION_CLAUSE = /^\s*(?:when|if|once|after|before)\s+(?:you|i|we|my|our|the|a|an|he|she|they|it|your)\b/i;

/**
 * The separate questions of one message ("do u take debit? and roughly how long does an oil change take",
 * "two things: whats your address, and are you open saturday?"), each naming something (a content word or a
 * phrase such as "how much"); one item (or none) when the message asks one thing.
 */
export function splitQuestions(text: string): string[] {
  const questions: string[] = [];
  for (const piece of text.match(/[^?]+\?*/g) ?? []) {
    const asked = piece.includes('?');
    const clauses = piece.replace(/\?+$/, '').split(/[,;:]\s*|\s+(?:and|also|plus)\s+/i).map((c) => c.trim()).filter(Boolean);
    const interrogative = clauses.filter((c) => (INTERROGATIVE_CLAUSE.test(c) || LED_IN_WH_CLAUSE.test(c)) && !SITUATION_CLAUSE.test(c));
    if (interrogative.length >= 2) questions.push(...interrogative);
    else if (asked) questions.push(interrogative[0] ?? piece.replace(/\?+$/, '').trim());
    else if (interrogative[0]) questions.push(interrogative[0]);
  }
  return questions.filter((q) => hasContent(analyzeText(q)));
}

/**
 * Visitors often leave out the question mark: in a message without one, a clause that opens like a question
 * stands for it (marked with "?" here), so the story around it counts less.
 */
function splitQuestionClauses(sentences: string[]): string[] {
  if (sentences.some((s) => s.includes('?'))) return sentences;
  const clauses = sentences.flatMap((sentence) => sentence.split(/[,;]\s+|\s+-\s+/));
  if (clauses.length < 2 || !clauses.some((c) => INTERROGATIVE_CLAUSE.test(c))) return sentences;
  return clauses.map((c) => (INTERROGATIVE_CLAUSE.test(c) ? `${c} ?` : c));
}

/**
 * Analyses a visitor's message for retrieval. Visitors wrap the question in chit-chat and background, so when
 * some sentences are questions, the other sentences count less; words in a contrast clause ("not the X")
 * name what the visitor does not want and are dropped.
 */
export function analyzeQuery(text: string): AnalyzedQuery {
  const sentences = splitQuestionClauses(text.split(/(?<=[.!?])\s+|\n+/).filter((s) => s.trim().length > 0));
  const hasQuestion = sentences.some((s) => s.includes('?'));
  const query: AnalyzedQuery = { units: [], phraseConcepts: [] };
  const add = (part: string, weight: number): void => {
    const analyzed = analyzeText(part);
    for (const unit of analyzed.units) query.units.push({ ...unit, weight });
    for (const concept of analyzed.phraseConcepts) query.phraseConcepts.push({ concept, weight });
  };
  for (const sentence of sentences) {
    const weight = !hasQuestion || sentence.includes('?') ? 1 : CONTEXT_WEIGHT;
    const excluded: string[] = [];
    const kept = sentence.replace(CONTRAST_PATTERN, (_match, clause: string) => {
      excluded.push(clause);
      return ' , ';
    });
    add(kept, weight);
    for (const clause of excluded) add(clause, 0);
  }
  // A message that is only a contrast clause still means something: fall back to counting every word.
  if (!query.units.some((u) => u.weight > 0)) for (const item of [...query.units, ...query.phraseConcepts]) item.weight = 1;
  return query;
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
