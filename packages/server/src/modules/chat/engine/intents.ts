import type { CustomIntent } from './engine.types.js';
import { classifyEscalation } from './escalation.js';
import { getClassifier } from './message-classifiers.js';
import { analyzeText, collectTerms } from './text-analysis.js';

export const BUILT_IN_INTENTS = [
  'greeting',
  'thanks',
  'goodbye',
  'request_quote',
  'book_appointment',
  'pricing',
  'hours',
  'location',
  'talk_to_human',
  'complaint',
  'general_question',
] as const;

/** Intents that are only small talk: they never replace a conversation's main intent. */
export const SMALL_TALK_INTENTS: ReadonlySet<string> = new Set(['greeting', 'thanks', 'goodbye']);

/** A custom intent matches when this share of an example's words (or their synonyms) is in the message. */
const CUSTOM_INTENT_MIN_OVERLAP = 0.6;

/** A lead intent needs at least this probability from the intent classifier (training/intent.txt). */
const LEAD_INTENT_MIN_PROBABILITY = 0.5;
const LEAD_INTENT_MIN_CONTENT_WORDS = 2;
/** Small talk is only small talk in a message with at most this many content words ("thanks so much!"). */
const SMALL_TALK_MAX_CONTENT_WORDS = 2;
const SMALL_TALK_MIN_PROBABILITY = 0.8;

/** Informational sub-kinds of a general question, by the general words that name them (no trade's vocabulary). */
const TOPIC_PATTERNS: { intent: string; patterns: RegExp[] }[] = [
  { intent: 'pricing', patterns: [/\b(how much|price|prices|pricing|cost|costs|charge|fee|fees|rates?|expensive|cheap)\b/i, /[$£€]\s?\d/] },
  { intent: 'hours', patterns: [/\b(hours|open|opening|close|closing|closed|what time)\b/i] },
  { intent: 'location', patterns: [/\b(where are you|where is your|located|location|address|directions)\b/i] },
];

function matchesAny(patterns: RegExp[], text: string): boolean {
  return patterns.some((pattern) => pattern.test(text));
}

function matchCustomIntent(message: string, intents: CustomIntent[]): string | null {
  if (intents.length === 0) return null;
  const messageTerms = new Set(collectTerms(analyzeText(message)));
  const lower = message.toLowerCase();
  let best: { name: string; score: number } | null = null;
  for (const intent of intents) {
    for (const example of intent.examples) {
      if (lower.includes(example.toLowerCase().trim())) return intent.name;
      const analyzed = analyzeText(example);
      if (analyzed.units.length === 0) continue;
      let matched = 0;
      for (const unit of analyzed.units) {
        if (messageTerms.has(unit.stem) || unit.concepts.some((c) => messageTerms.has(c))) matched++;
      }
      const score = matched / analyzed.units.length;
      if (score >= CUSTOM_INTENT_MIN_OVERLAP && (!best || score > best.score)) best = { name: intent.name, score };
    }
  }
  return best?.name ?? null;
}

/** A message the scope classifier (training/scope.txt) puts outside any business at least this surely gets no knowledge-base answer. */
const OFF_TOPIC_MIN_PROBABILITY = 0.7;

/** Whether a message is about something other than the business (general knowledge, a neighbour, a joke, …). */
export function isOffTopic(message: string): boolean {
  const prediction = getClassifier('scope')?.predict(message);
  return prediction?.label === 'off_topic' && prediction.probability >= OFF_TOPIC_MIN_PROBABILITY;
}

/** "the pet shop next door", "that café across the road": another business placed by where it is relative to this one. */
const NEIGHBOUR = /\b(?:the|that)\s+(?:[a-z'’&-]+\s+){1,3}?(?:next door|across the (?:road|street|way)|over the road|(?:down|up) the (?:road|street)|next to (?:you|yours|your place)|opposite (?:you|yours)|(?:a|)round the corner)\b/i;
/** …unless the visitor then asks this business something ("the pharmacy across the road sent me, do you do flu jabs"). */
const ASKS_THIS_BUSINESS = /\b(?:do|can|could|will|would|are|have)\s+(?:you|yous|ya|u)\b(?!\s+know\b)/i;

/**
 * Whether a message asks about a neighbouring business ("is the pet shop next door to you open on Sundays?"): its
 * hours or prices are not this business's, however well the words match, so no knowledge entry answers it.
 */
export function asksAboutNeighbour(message: string): boolean {
  const match = NEIGHBOUR.exec(message);
  return match !== null && !ASKS_THIS_BUSINESS.test(message.slice(match.index + match[0].length));
}

/** Detects the intent of one visitor message: a custom intent, a built-in one, or general_question. */
export function detectIntent(message: string, customIntents: CustomIntent[] = []): string {
  const text = message.trim();
  const escalation = classifyEscalation(text);
  if (escalation.probability >= 0.5 && escalation.label === 'human_request') return 'talk_to_human';
  if (escalation.probability >= 0.5 && (escalation.label === 'complaint' || escalation.label === 'legal')) return 'complaint';
  const custom = matchCustomIntent(text, customIntents);
  if (custom) return custom;
  const smallTalk = detectSmallTalk(text);
  if (smallTalk.length > 0) return smallTalk[0] ?? 'general_question';
  // A lead needs something to do: "bye" or "price list" alone is not a request.
  const lead = analyzeText(text).units.length >= LEAD_INTENT_MIN_CONTENT_WORDS ? getClassifier('intent')?.predict(text) : undefined;
  if (lead && lead.label !== 'general_question' && lead.probability >= LEAD_INTENT_MIN_PROBABILITY && !isOffTopic(text)) return lead.label;
  return TOPIC_PATTERNS.find(({ patterns }) => matchesAny(patterns, text))?.intent ?? 'general_question';
}

/** Which lead a question would become if the visitor asked for follow-up: a price question a quote, otherwise the intent classifier's lean. */
export function guessLeadIntent(message: string, intent: string): string {
  if (intent === 'pricing') return 'request_quote';
  const probabilities = getClassifier('intent')?.predict(message).probabilities;
  if (!probabilities) return 'book_appointment';
  return (probabilities.request_quote ?? 0) > (probabilities.book_appointment ?? 0) ? 'request_quote' : 'book_appointment';
}

/** The small-talk intent of a short message ("Thanks, bye!" → thanks), or nothing for a message with content. */
export function detectSmallTalk(message: string): string[] {
  if (analyzeText(message).units.length > SMALL_TALK_MAX_CONTENT_WORDS) return [];
  const prediction = getClassifier('smalltalk')?.predict(message);
  if (!prediction || prediction.probability < SMALL_TALK_MIN_PROBABILITY || !SMALL_TALK_INTENTS.has(prediction.label)) return [];
  // A question ("hours?") is never a thank-you or a goodbye; "how are you?" still greets.
  if (message.includes('?') && prediction.label !== 'greeting') return [];
  return [prediction.label];
}
