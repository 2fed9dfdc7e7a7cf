import type { EngineSettings, EscalationReasonName } from './engine.types.js';
import { getClassifier, getWordingClassifier } from './message-classifiers.js';
import { analyzeText } from './text-analysis.js';

export type EscalationReason = EscalationReasonName;

/** A sentence of a longer message is read on its own when it has at least this many content words. */
const MIN_SENTENCE_CONTENT_WORDS = 3;
const SENTENCE_MIN_PROBABILITY = 0.8;
/** A message escalates when the escalation classifier gives its non-"none" classes together at least this probability. */
const ESCALATION_MIN_PROBABILITY = 0.35;

/** Classifier label (training/escalation.txt) → reason and the setting that switches it off. Urgent safety always escalates. */
const LABEL_REASONS: Record<string, { reason: EscalationReason; isEnabled: (rules: EngineSettings['escalation']) => boolean }> = {
  human_request: { reason: 'requested_human', isEnabled: (rules) => rules.onRequest },
  complaint: { reason: 'complaint', isEnabled: (rules) => rules.onComplaint },
  legal: { reason: 'legal', isEnabled: (rules) => rules.onLegal },
  frustration: { reason: 'anger', isEnabled: (rules) => rules.onAnger },
  urgent: { reason: 'urgent', isEnabled: () => true },
};

export interface EscalationSignal {
  /** The most likely reason a person is needed, or null for "none". */
  label: string | null;
  /** Probability that the message needs a person at all (1 − P(none)). */
  probability: number;
}

/** How strongly one message asks for a person, by meaning (see training/escalation.txt). */
export function classifyEscalation(message: string): EscalationSignal {
  // A turn asks about the same message several times (intent, escalation, feedback): remember the last answer.
  if (lastSignal?.message === message) return lastSignal.signal;
  const signal = classifyEscalationUncached(message);
  lastSignal = { message, signal };
  return signal;
}

let lastSignal: { message: string; signal: EscalationSignal } | null = null;

function classifyEscalationUncached(message: string): EscalationSignal {
  const meaning = getClassifier('escalation');
  const wording = getWordingClassifier('escalation');
  if (!meaning || !wording) return { label: null, probability: 0 };
  // A long message dilutes one urgent sentence ("Is there a real person? … my mother …"): the whole message and
  // each of its sentences are read, and the strongest signal counts.
  const sentences = message.split(/(?<=[.!?])\s+|\n+/).filter((sentence) => analyzeText(sentence).units.length >= MIN_SENTENCE_CONTENT_WORDS);
  const parts = sentences.length > 1 ? [message, ...sentences] : [message];
  let strongest: EscalationSignal = { label: null, probability: 0 };
  for (const part of parts) {
    const a = meaning.predict(part).probabilities;
    const b = wording.predict(part).probabilities;
    let label: string | null = null;
    let best = 0;
    for (const name of Object.keys(a)) {
      const p = (a[name] ?? 0) + (b[name] ?? 0);
      if (name !== 'none' && p > best) {
        label = name;
        best = p;
      }
    }
    // Both readings must see a need for a person: the lower of the two counts.
    const probability = Math.min(1 - (a.none ?? 0), 1 - (b.none ?? 0));
    // One sentence alone must be sure: a long message has more sentences that may sound like something.
    const isSentence = part !== message;
    if (isSentence && probability < SENTENCE_MIN_PROBABILITY) continue;
    if (probability > strongest.probability) strongest = { label, probability };
  }
  return strongest;
}

/**
 * A complaint about another business the visitor used before ("the last vet I went to was so rough…", "my old
 * garage overcharged me") that comes with a question for this one is a question, not a complaint to hand over.
 */
const PREVIOUS_PROVIDER = /\b(?:last|previous|old|former)\s+(?:[a-z]+\s+)?(?:clinic|vet|vets|practice|surgery|dentist|doctor|gp|physio|physios|chiro|mechanic|garage|shop|gym|studio|plumber|company|provider|trainer|salon|place|one)\b/i;
const ASKS_US = /\?|\b(?:do|does|can|will|are|is)\s+(?:you|your|yous|ya|u)\b/i;

function isAboutAnotherProvider(message: string): boolean {
  return PREVIOUS_PROVIDER.test(message) && ASKS_US.test(message);
}

/** Whether the chatbot's escalation rules let this reason hand a conversation over (urgent safety always does). */
export function isEscalationReasonEnabled(reason: EscalationReason, rules: EngineSettings['escalation']): boolean {
  if (!rules.enabled) return false;
  const rule = Object.values(LABEL_REASONS).find((mapped) => mapped.reason === reason);
  return rule ? rule.isEnabled(rules) : reason === 'keyword' || reason === 'repeated_failed_answers';
}

/** Decides whether this message escalates to a person; returns the reason, or null. Pure: the caller tracks "once per conversation". */
export function detectEscalation(
  message: string,
  rules: EngineSettings['escalation'],
  options: { minProbability?: number; ignoreFrustration?: boolean } = {},
): EscalationReason | null {
  if (!rules.enabled) return null;
  const lower = message.toLowerCase();
  if (rules.keywords.some((keyword) => keyword.trim() && lower.includes(keyword.trim().toLowerCase()))) return 'keyword';
  const signal = classifyEscalation(message);
  if (!signal.label || signal.probability < (options.minProbability ?? ESCALATION_MIN_PROBABILITY)) return null;
  if (options.ignoreFrustration && signal.label === 'frustration') return null;
  if ((signal.label === 'complaint' || signal.label === 'frustration') && isAboutAnotherProvider(message)) return null;
  const mapped = LABEL_REASONS[signal.label];
  return mapped?.isEnabled(rules) ? mapped.reason : null;
}

/** Returns whether the visitor signals that the last answer missed ("that's not what I asked"), which counts as a failed answer. */
export function isNegativeFeedback(message: string): boolean {
  // One word ("ugh", "second question") is too little to read a complaint about the last answer into.
  if (analyzeText(message).units.length <= 1) return false;
  const signal = classifyEscalation(message);
  return signal.label === 'frustration' && signal.probability >= ESCALATION_MIN_PROBABILITY;
}
