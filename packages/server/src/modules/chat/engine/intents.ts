import type { CustomIntent } from './engine.types.js';
import { COMPLAINT_PATTERNS, HUMAN_PATTERNS } from './escalation.js';
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

const PATTERNS: { intent: string; patterns: RegExp[] }[] = [
  { intent: 'talk_to_human', patterns: HUMAN_PATTERNS },
  { intent: 'complaint', patterns: COMPLAINT_PATTERNS },
  {
    intent: 'request_quote',
    patterns: [
      /\b(quote|estimate|quotation|bid)\b/i,
      /\b(need|want|get|like|have|send|give)\s+(me\s+)?(a\s+)?(price|pricing|prices)\b/i,
      /\bprice (it|this|that|the job) out\b/i,
    ],
  },
  {
    intent: 'book_appointment',
    patterns: [
      /\b(book|schedule|reserve)\b(?!\s+online\b)/i,
      /\b(appointment|appt|get on the schedule|set up a visit|reservation)\b/i,
      /\b(send|get)\s+(someone|somebody|a tech\w*|a plumber|a technician|a person)\s+(out|over|today|tomorrow|this week|here)\b/i,
      /\b(send|need|want)\s+(someone|somebody|a tech\w*|a plumber|a technician)\b.*\b(today|tomorrow|this week|asap|tonight|this afternoon|this morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i,
      /\bneed (someone|somebody|a tech\w*|a plumber|a technician) to\b/i,
      /\b(have|any|got)\s+(an?\s+)?(opening|openings|availability|free slot|slot|spot)s?\b/i,
    ],
  },
  {
    intent: 'pricing',
    patterns: [/\b(how much|price|prices|pricing|cost|costs|charge|fee|fees|rates?|expensive|cheap)\b/i, /\$\s?\d/],
  },
  {
    intent: 'hours',
    patterns: [/\b(hours|open|opening|close|closing|closed|what time)\b/i],
  },
  {
    intent: 'location',
    patterns: [/\b(where are you|where is your|located|location|address|directions|service area|areas? do you (serve|cover))\b/i],
  },
  {
    intent: 'greeting',
    patterns: [/^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|greetings|yo)\b/i],
  },
  {
    intent: 'thanks',
    patterns: [/\b(thanks|thank you|thx|ty|appreciate it|that helped|that helps|perfect|awesome|great)\b/i],
  },
  {
    intent: 'goodbye',
    patterns: [/\b(bye|goodbye|see you|see ya|have a good (one|day|night|evening)|that's all|that is all|take care)\b/i],
  },
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

/** Detects the intent of one visitor message: a custom intent, a built-in one, or general_question. */
export function detectIntent(message: string, customIntents: CustomIntent[] = []): string {
  const text = message.trim();
  const isHuman = matchesAny(PATTERNS[0]?.patterns ?? [], text);
  if (isHuman) return 'talk_to_human';
  const custom = matchCustomIntent(text, customIntents);
  if (custom) return custom;
  const matched = PATTERNS.slice(1)
    .filter(({ patterns }) => matchesAny(patterns, text))
    .map(({ intent }) => intent);
  const substantive = matched.find((intent) => !SMALL_TALK_INTENTS.has(intent));
  if (substantive) return substantive;
  const contentWords = analyzeText(text).units.length;
  if (matched.length > 0 && contentWords <= 3) return matched[0] ?? 'general_question';
  return 'general_question';
}

/** Lists every small-talk intent a message carries ("Thanks, bye!" → thanks, goodbye). */
export function detectSmallTalk(message: string): string[] {
  return PATTERNS.filter(({ intent }) => SMALL_TALK_INTENTS.has(intent) && matchesAny(PATTERNS.find((p) => p.intent === intent)?.patterns ?? [], message)).map(
    ({ intent }) => intent,
  );
}
