import { restoreState } from './conversation-state.js';
import type { ConversationState, EngineSettings, LeadDetails, LeadField, LeadResult, RetrievalHit, TurnInput, TurnResult, TurnUnderstanding } from './engine.types.js';
import { detectEscalation, isEscalationReasonEnabled, isNegativeFeedback, type EscalationReason } from './escalation.js';
import { DEFAULT_ENGINE_TUNING } from './engine-tuning.js';
import { asksAboutNeighbour, detectIntent, guessLeadIntent, isOffTopic, SMALL_TALK_INTENTS } from './intents.js';
import { asksQuestion, extractLeadDetails, removeLeadDetails } from './lead-extraction.js';
import { isPromptInjection } from './prompt-guard.js';
import { analyzeText, hasContent, splitQuestions } from './text-analysis.js';

/** Default minimum retrieval confidence to answer from the knowledge base: fitted by `npm run eval -- --fit` (engine-tuning.ts). */
export const DEFAULT_ANSWER_THRESHOLD = DEFAULT_ENGINE_TUNING.answerThreshold;
/** Messages are cut here before analysis; the service bounds them earlier, this only guards the engine. */
const MAX_MESSAGE_CHARS = 4_000;
/** The bot asks for the same detail at most this often, so it never nags. */
const MAX_ASKS_PER_FIELD = 2;

const FIELD_QUESTIONS: Record<LeadField, string> = {
  name: 'May I have your name?',
  phone: "What's the best phone number to reach you?",
  email: "What's your email address?",
};
/** Asking again (or for a second way to reach the visitor) sounds different from the first time. */
const FIELD_FOLLOW_UPS: Record<LeadField, string> = {
  name: 'And who should the team ask for?',
  phone: 'Is there a phone number we can reach you on as well?',
  email: 'Is there an email address we can use as well?',
};

const ESCALATION_MESSAGES: Record<EscalationReason, string> = {
  requested_human: "Of course. I've asked a member of the {business} team to take over this conversation; a person will get back to you as soon as possible.",
  anger: "I'm sorry this hasn't been helpful. I've passed this conversation to the {business} team, and a person will follow up with you shortly.",
  complaint: "I'm sorry to hear that. I've passed this to the {business} team so a person can look into it and follow up with you as soon as possible.",
  legal: "I understand this is serious. I've passed this conversation to the {business} team, and a person will contact you as soon as possible.",
  urgent: "This sounds urgent. I've alerted the {business} team right now so a person can help you as soon as possible. If anyone is in danger, please call your local emergency number.",
  keyword: "I've asked a member of the {business} team to follow up with you personally; a person will get back to you as soon as possible.",
  repeated_failed_answers: "I'm sorry I couldn't answer that. I've passed this conversation to the {business} team, and a person will follow up with you shortly.",
};

/** Escalations after which the bot still answers the question in the message, if the knowledge does. */
const ANSWER_WITH_ESCALATION: ReadonlySet<EscalationReason> = new Set(['urgent', 'complaint', 'keyword']);
/** A one-word message or one that gave lead details escalates only at this probability. */
const SURE_ESCALATION_PROBABILITY = 0.9;
/** Above this confidence an answer stands even when the scope classifier thinks the message is about something else. */
const SURE_ANSWER_CONFIDENCE = 0.5;

/** Intents of a question that asks for nothing to be done: a later contact turns them into a lead intent. */
const INFORMATIONAL_INTENTS: ReadonlySet<string> = new Set(['general_question', 'pricing', 'hours', 'location']);

/** A follow-up names no topic of its own: it opens with "and"/"what about", or points back ("that one", "it"). */
const FOLLOW_UP_PATTERN = /^\s*(?:and|also|plus|what about|how about|same for|what if|or|but)\b|\b(?:that one|this one|that|it|those|them|they|there|the same)\b/i;
/** A follow-up is short: a longer message carries its own topic. */
const FOLLOW_UP_MAX_CONTENT_WORDS = 4;
const MAX_CONTEXT_CHARS = 500;

function isFollowUp(query: string): boolean {
  return FOLLOW_UP_PATTERN.test(query) && analyzeText(query).units.length <= FOLLOW_UP_MAX_CONTENT_WORDS;
}

/** How many ranked hits a turn reads: enough to find the best entry's runner-up among passages of the same entry. */
const HITS_PER_SEARCH = 5;
/**
 * A clear winner answers a little below the answer threshold (by at most `CLEAR_WINNER_BAND`) when its log-odds
 * lead the runner-up entry's by at least `CLEAR_WINNER_MARGIN`. On the five dev businesses, top hits between
 * 0.2 and 0.4 with such a lead were right 10 times in 12 and none was an out-of-scope question; of those
 * without it, a third were wrong answers and a fifth out of scope.
 */
const CLEAR_WINNER_BAND = 0.2;
const CLEAR_WINNER_MARGIN = 0.7;

interface SearchOutcome {
  hit: RetrievalHit | undefined;
  /** The confidence of the best hit from another entry (0 when there is none). */
  runnerUp: number;
  viaContext: boolean;
}

function readHits(hits: RetrievalHit[], viaContext: boolean): SearchOutcome {
  const [hit] = hits;
  return { hit, runnerUp: hits.find((h) => h.entryId !== hit?.entryId)?.confidence ?? 0, viaContext };
}

const logOdds = (p: number): number => Math.log(Math.max(p, 1e-6) / Math.max(1 - p, 1e-6));

/** Whether a search found an answer: confident enough, or a clear winner over every other entry. */
function isAnswer(found: SearchOutcome, threshold: number): boolean {
  const confidence = found.hit?.confidence ?? 0;
  if (confidence >= threshold) return true;
  return confidence >= threshold - CLEAR_WINNER_BAND && logOdds(confidence) - logOdds(found.runnerUp) >= CLEAR_WINNER_MARGIN;
}

/** At most this many questions of one message get an answer each. */
const MAX_ANSWERS_PER_TURN = 2;

/**
 * The answer to a second question in the same message ("do you take debit? and how long does an oil change
 * take"), when the knowledge answers it confidently from another entry than the first answer.
 */
function findSecondAnswer(index: TurnInput['index'], query: string, first: RetrievalHit, threshold: number): RetrievalHit | undefined {
  const questions = splitQuestions(query);
  if (questions.length < MAX_ANSWERS_PER_TURN) return undefined;
  let best: RetrievalHit | undefined;
  for (const question of questions) {
    const hit = index.search(question, 1)[0];
    if (hit && hit.entryId !== first.entryId && hit.confidence >= threshold && !isOffTopic(question) && hit.confidence > (best?.confidence ?? 0)) best = hit;
  }
  return best;
}

/**
 * Searches the knowledge for a message; a follow-up ("and on Saturdays?", "how much is that one?") is also read
 * together with the previous answered question, and the surer of the two readings wins.
 */
function searchWithContext(index: TurnInput['index'], query: string, previous: string | undefined): SearchOutcome {
  const own = readHits(index.search(query, HITS_PER_SEARCH), false);
  if (!previous || !isFollowUp(query)) return own;
  const withTopic = readHits(index.search(`${previous} ${query}`, HITS_PER_SEARCH), true);
  if (withTopic.hit && (!own.hit || withTopic.hit.confidence > own.hit.confidence)) return withTopic;
  return own;
}

/** Settings used when the chatbot has not customised anything (contract defaults). */
export function createDefaultSettings(businessName = 'our team'): EngineSettings {
  return {
    businessName,
    defaultPhoneRegion: 'US',
    leadCapture: { enabled: true, fields: ['name', 'phone', 'email'], requiredFields: [], intents: ['request_quote', 'book_appointment'] },
    escalation: { enabled: true, onRequest: true, onAnger: true, onComplaint: true, onLegal: true, maxFailedAnswers: 3, keywords: [] },
    customIntents: [],
  };
}

function isLeadIntent(intent: string | null, settings: EngineSettings): boolean {
  if (!intent) return false;
  return settings.leadCapture.intents.includes(intent) || settings.customIntents.some((c) => c.name === intent && c.captureLead);
}

function hasContact(state: ConversationState): boolean {
  return Boolean(state.lead.email || state.lead.phone);
}

function isLeadComplete(state: ConversationState, settings: EngineSettings): boolean {
  const required = settings.leadCapture.requiredFields;
  if (required.length === 0) return hasContact(state);
  return required.every((field) => Boolean(state.lead[field]));
}

function listMissingFields(state: ConversationState, settings: EngineSettings): LeadField[] {
  return settings.leadCapture.fields.filter((field) => !state.lead[field] && !state.declinedFields.includes(field));
}

function pickNextField(state: ConversationState, fields: LeadField[]): LeadField | null {
  return fields.find((field) => !state.lead[field] && !state.declinedFields.includes(field) && (state.askedCounts[field] ?? 0) < MAX_ASKS_PER_FIELD) ?? null;
}

function firstName(name: string | null): string {
  return name ? ` ${name.split(/\s+/)[0] ?? ''}` : '';
}

function fill(template: string, settings: EngineSettings): string {
  return template.replaceAll('{business}', settings.businessName || 'our');
}

function updateConversationIntent(state: ConversationState, intent: string, settings: EngineSettings, message: string, asksSomething: boolean): void {
  if (isLeadIntent(intent, settings)) {
    if (!isLeadIntent(state.intent, settings) || state.intentGuessed) state.intent = intent;
    delete state.intentGuessed;
    return;
  }
  // The intent was guessed from contact details alone: the first message that asks for something decides it.
  if (state.intentGuessed && asksSomething && INFORMATIONAL_INTENTS.has(intent)) {
    const leaning = guessLeadIntent(message, intent);
    if (isLeadIntent(leaning, settings)) state.intent = leaning;
    delete state.intentGuessed;
    return;
  }
  if (state.intent === null && !SMALL_TALK_INTENTS.has(intent)) state.intent = intent;
}

interface AppliedLead {
  changed: boolean;
  captured: LeadField[];
  declined: LeadField[];
  /** Fields whose earlier value this message replaced ("oops, it's jane@example.org"). */
  corrected: LeadField[];
  /** The message without the details it gave: names and numbers only confuse retrieval. */
  query: string;
}

/** Applies extracted details to the state; returns whether anything changed and what was captured now. */
function applyLeadDetails(state: ConversationState, message: string, settings: EngineSettings): AppliedLead {
  const extracted = extractLeadDetails(message, { awaitingField: state.awaitingField, defaultRegion: settings.defaultPhoneRegion, isFirstMessage: state.turns === 1 });
  const captured: LeadField[] = [];
  const corrected: LeadField[] = [];
  let changed = false;
  for (const field of ['name', 'email', 'phone'] as const) {
    const value = extracted[field];
    if (!value) continue;
    // A bare name standing somewhere in a message never overrides one the visitor gave on purpose.
    if (field === 'name' && state.lead.name && extracted.nameSource === 'inferred') continue;
    captured.push(field);
    if (state.lead[field] !== value) {
      if (state.lead[field]) corrected.push(field);
      state.lead[field] = value;
      changed = true;
    }
    state.declinedFields = state.declinedFields.filter((f) => f !== field);
  }
  const declined = extracted.declined.filter((field) => !captured.includes(field) && !state.lead[field]);
  for (const field of declined) if (!state.declinedFields.includes(field)) state.declinedFields.push(field);
  if (state.awaitingField && (captured.includes(state.awaitingField) || declined.includes(state.awaitingField))) state.awaitingField = null;
  const query = captured.length > 0 ? removeLeadDetails(message, settings.defaultPhoneRegion, extracted.name) : message;
  return { changed, captured, declined, corrected, query };
}

function buildLeadResult(state: ConversationState, settings: EngineSettings, changed: boolean): LeadResult {
  return {
    changed,
    fields: { ...state.lead },
    missing: listMissingFields(state, settings),
    complete: isLeadComplete(state, settings),
    finished: hasContact(state) && pickNextField(state, settings.leadCapture.fields) === null,
  };
}

const FIELD_LABELS: Record<LeadField, string> = { name: 'name', email: 'email address', phone: 'phone number' };

function acknowledge(lead: AppliedLead, state: ConversationState): string {
  const [corrected] = lead.corrected;
  if (corrected) return `Thanks, I've updated your ${FIELD_LABELS[corrected]}.`;
  if (lead.captured.includes('name')) return `Thanks${firstName(state.lead.name)}!`;
  if (lead.captured.length > 0) return 'Got it, thanks.';
  if (lead.declined.length > 0) return 'No problem.';
  return '';
}

/** The question for the next missing detail: plain the first time, different when repeated or when one contact is in. */
function askFor(field: LeadField, state: ConversationState): string {
  const isRepeat = (state.askedCounts[field] ?? 0) > 0;
  const hasOtherContact = (field === 'phone' && Boolean(state.lead.email)) || (field === 'email' && Boolean(state.lead.phone));
  return isRepeat || hasOtherContact ? FIELD_FOLLOW_UPS[field] : FIELD_QUESTIONS[field];
}

function joinParts(parts: string[]): string {
  return parts.filter((p) => p.trim().length > 0).join(' ');
}

/**
 * Contact details a model read in the message that the built-in extraction missed ("Name - Gordon Baxter"): they
 * fill empty fields only, never replace what the visitor gave before, and clear a "no email" for that field.
 */
function applyUnderstoodDetails(state: ConversationState, lead: AppliedLead, fields: Partial<LeadDetails>): void {
  for (const field of ['name', 'email', 'phone'] as const) {
    const value = fields[field]?.trim();
    if (!value || state.lead[field] || lead.captured.includes(field)) continue;
    state.lead[field] = value;
    lead.captured.push(field);
    lead.changed = true;
    state.declinedFields = state.declinedFields.filter((f) => f !== field);
    if (state.awaitingField === field) state.awaitingField = null;
  }
}

/** A hand-over the model asks for, when the built-in classifier saw none and the chatbot's rules allow it. */
function understoodEscalation(understanding: TurnUnderstanding | undefined, state: ConversationState, settings: EngineSettings, isInjection: boolean): EscalationReason | null {
  const reason = understanding?.escalation;
  if (!reason || state.escalated || isInjection) return null;
  return isEscalationReasonEnabled(reason, settings.escalation) ? reason : null;
}

/** Runs one visitor message through the engine: lead details, intent, escalation, retrieval and the reply. Pure: no I/O. */
export function runTurn(input: TurnInput): TurnResult {
  const { settings, index } = input;
  const state = restoreState(structuredClone(input.state));
  state.turns += 1;
  const message = input.message.slice(0, MAX_MESSAGE_CHARS).trim();
  const threshold = settings.answerThreshold ?? DEFAULT_ANSWER_THRESHOLD;
  const wasAwaiting = state.awaitingField;

  const understanding = input.understanding;
  const lead = applyLeadDetails(state, message, settings);
  if (understanding?.leadFields) applyUnderstoodDetails(state, lead, understanding.leadFields);
  const intent = detectIntent(message, settings.customIntents);
  const queryHasContent = hasContent(analyzeText(lead.query));
  updateConversationIntent(state, intent, settings, lead.query, queryHasContent);
  // The model heard a wish for follow-up the classifier missed ("could someone send me a proper price").
  if (understanding?.followUpIntent && isLeadIntent(understanding.followUpIntent, settings) && (!isLeadIntent(state.intent, settings) || state.intentGuessed)) {
    state.intent = understanding.followUpIntent;
    delete state.intentGuessed;
  }
  if (!state.leadIntentHint && INFORMATIONAL_INTENTS.has(intent) && !lead.captured.length) state.leadIntentHint = guessLeadIntent(message, intent);
  // A visitor who leaves a phone or e-mail after asking something wants follow-up on it: a price question becomes
  // a quote request, anything else what the intent classifier leaned to for that first question.
  const gaveContact = lead.captured.includes('phone') || lead.captured.includes('email');
  if (gaveContact && (state.intent === null || INFORMATIONAL_INTENTS.has(state.intent)) && settings.leadCapture.enabled) {
    const hinted = state.leadIntentHint ?? guessLeadIntent(message, intent);
    if (isLeadIntent(hinted, settings)) {
      state.intent = hinted;
      // Nothing asked yet, only details given: a guess the next request may correct.
      if (!state.leadIntentHint && !queryHasContent) state.intentGuessed = true;
    }
  }

  let answer: RetrievalHit | null = null;
  let modelAnswer: { text: string; sources: { id: string; title: string }[] } | null = null;
  let secondAnswer: RetrievalHit | undefined;
  let answeredViaContext = false;
  let confidence = 0;
  let failedThisTurn = false;
  const parts: string[] = [];
  let quickReplies: string[] = [];
  let escalation: { reason: string } | null = null;
  let acknowledgement: string | null = null;

  const isInjection = isPromptInjection(message);
  // Judged on what is left once names, numbers and addresses are taken out. Short or detail-giving messages are
  // ambiguous ("second question", "oops, spelt it wrong", "I'm afraid I don't use email"): they escalate only on a
  // sure signal, and giving details is never read as frustration.
  const gaveDetails = lead.captured.length > 0 || lead.declined.length > 0;
  const analyzedMessage = analyzeText(message);
  const escalationText = gaveDetails ? lead.query : message;
  const escalationWords = (gaveDetails ? analyzeText(escalationText) : analyzedMessage).units.length;
  const isAmbiguous = gaveDetails || escalationWords <= 1;
  // "call me on 512…, sam@…" leaves "call me": a way to follow up, not a request for a person now.
  const isOnlyDetails = gaveDetails && escalationWords <= 1;
  const builtInEscalation =
    !state.escalated && !isInjection && !isOnlyDetails
      ? detectEscalation(escalationText, settings.escalation, isAmbiguous ? { minProbability: SURE_ESCALATION_PROBABILITY, ignoreFrustration: gaveDetails } : {})
      : null;
  const escalationReason = builtInEscalation ?? understoodEscalation(understanding, state, settings, isInjection);
  if (isNegativeFeedback(message)) {
    state.failedAnswers += 1;
    failedThisTurn = true;
  }

  // A name, number or email (or a "no email") is an answer, not a question for the knowledge base, unless the
  // visitor also asks something ("Jane Doe, 555 0100, how late are you open?").
  const gaveOnlyDetails = gaveDetails && !asksQuestion(message);
  const answeredAwaited = wasAwaiting !== null && lead.captured.includes(wasAwaiting) && !asksQuestion(message);
  const isSmallTalk = SMALL_TALK_INTENTS.has(intent);
  // "how much is that?" is all question frame (a phrase concept), and still a question.
  const messageHasContent = hasContent(analyzedMessage);
  // A person is on the way for a request or frustration; an urgent or complaining message may still ask something the knowledge answers.
  const isAnswerableEscalation = escalationReason === null || ANSWER_WITH_ESCALATION.has(escalationReason);
  const shouldSearch = !isInjection && isAnswerableEscalation && !gaveOnlyDetails && !answeredAwaited && !isSmallTalk && messageHasContent;

  if (shouldSearch) {
    const found = searchWithContext(index, lead.query, state.lastQuestion);
    const top = found.hit;
    answeredViaContext = found.viaContext;
    confidence = top?.confidence ?? 0;
    // The scope classifier knows no business's trade, so a very confident match ("what time does the bakery open?" to a bakery) still answers.
    if (top && isAnswer(found, threshold) && (top.confidence >= SURE_ANSWER_CONFIDENCE || !isOffTopic(lead.query)) && !asksAboutNeighbour(lead.query)) answer = top;
    if (answer && !found.viaContext) secondAnswer = findSecondAnswer(index, lead.query, answer, threshold);
    // A model that read the knowledge decides instead: its cited answer, or none (then the honest reply below).
    if (understanding?.answer !== undefined) {
      modelAnswer = understanding.answer === 'unknown' ? null : understanding.answer;
      answer = modelAnswer ? { entryId: modelAnswer.sources[0]?.id ?? '', kind: 'faq', title: modelAnswer.sources[0]?.title ?? '', text: modelAnswer.text, confidence, viaLearned: false } : null;
      secondAnswer = undefined;
      answeredViaContext = false;
    }
  }

  if (isInjection) {
    parts.push(`Sorry, I can't help with that. I can only answer questions about ${settings.businessName || 'this business'} from its own information, or connect you with a person from the team.`);
    quickReplies = ['Talk to a person'];
  } else if (escalationReason) {
    escalation = { reason: escalationReason };
    state.escalated = true;
    parts.push(fill(ESCALATION_MESSAGES[escalationReason], settings));
    if (answer) parts.push(`In the meantime: ${answer.text}`);
    if (secondAnswer) parts.push(secondAnswer.text);
  } else if (answer) {
    parts.push(answer.text);
    if (secondAnswer) parts.push(secondAnswer.text);
  } else if (isSmallTalk) {
    if (intent === 'greeting') {
      parts.push(`Hi! Thanks for reaching out to ${settings.businessName || 'us'}. How can I help you today?`);
      quickReplies = [...index.suggestQuestions(3), 'Talk to a person'];
    } else if (intent === 'thanks') {
      parts.push("You're welcome! Is there anything else I can help you with?");
    } else {
      parts.push(`Thanks for chatting with ${settings.businessName || 'us'}. Have a great day!`);
    }
  } else if (gaveDetails) {
    acknowledgement = acknowledge(lead, state);
    parts.push(acknowledgement);
  } else if (isLeadIntent(intent, settings) && settings.leadCapture.enabled) {
    // Nothing in the knowledge answers it, so promise no help the business may not offer: a person follows up.
    parts.push(`I don't have the details of that here, but someone from the ${settings.businessName || 'our'} team can follow up with you.`);
  } else if (state.escalated && (intent === 'talk_to_human' || intent === 'complaint')) {
    parts.push(`I've already let the ${settings.businessName || ''} team know, and a person will get back to you as soon as possible.`.replace('the  team', 'the team'));
  } else {
    parts.push(
      `I'm sorry, I don't know the answer to that. I can only answer questions about ${settings.businessName || 'this business'} from its own information. Would you like me to connect you with a person from the team?`,
    );
    quickReplies = ['Talk to a person'];
    if (!failedThisTurn) state.failedAnswers += 1;
    failedThisTurn = true;
  }

  // Repeated misses hand over to a person, once per conversation.
  const maxFailed = settings.escalation.maxFailedAnswers;
  if (!escalation && !state.escalated && settings.escalation.enabled && maxFailed > 0 && failedThisTurn && state.failedAnswers >= maxFailed) {
    escalation = { reason: 'repeated_failed_answers' };
    state.escalated = true;
    parts.push(fill(ESCALATION_MESSAGES.repeated_failed_answers, settings));
  }

  // Ask for the next missing detail: for a lead-worthy conversation, or for a way to reach the visitor after an escalation.
  // Volunteering a phone number or email asks for follow-up as clearly as a quote or booking request does.
  const isLeadFlow = settings.leadCapture.enabled && (isLeadIntent(state.intent, settings) || hasContact(state));
  let nextField: LeadField | null = null;
  if (escalation && !hasContact(state)) {
    nextField = pickNextField(state, ['phone', 'email']);
    if (nextField) parts.push("What's the best phone number or email address to reach you?");
  } else if (isLeadFlow && !isInjection) {
    nextField = pickNextField(state, settings.leadCapture.fields);
    if (nextField) {
      const isFirstAsk = Object.keys(state.askedCounts).length === 0;
      if (answer && isFirstAsk) parts.push('I can also have someone from the team follow up with you.');
      else if (!answer && parts.length === 0) parts.push(acknowledge(lead, state));
      parts.push(askFor(nextField, state));
    } else if (isLeadComplete(state, settings) && !state.leadAcknowledged) {
      state.leadAcknowledged = true;
      // This closing line thanks the visitor itself; a "Got it, thanks." for the detail just given would say it twice.
      if (acknowledgement && parts.at(-1) === acknowledgement) parts.pop();
      parts.push(`Thank you${firstName(state.lead.name)}! Someone from ${settings.businessName || 'our team'} will be in touch soon.`);
    }
  }
  if (nextField) {
    state.askedCounts[nextField] = (state.askedCounts[nextField] ?? 0) + 1;
    quickReplies = [];
  }
  state.awaitingField = nextField;

  const text = joinParts(parts);
  state.lastBotText = text;
  const answers = [answer, secondAnswer].filter((hit): hit is RetrievalHit => Boolean(hit));
  state.lastSourceIds = modelAnswer ? modelAnswer.sources.map((source) => source.id) : answers.map((hit) => hit.entryId);
 if (answer) state.lastQuestion = answeredViaContext ? `${state.lastQuestion ?? ''} ${lead.query}`.slice(-MAX_CONTEXT_CHARS) : lead.query.slice(0, MAX_CONTEXT_CHARS);
  const showLead = isLeadFlow || Boolean(escalation) || lead.changed || hasContact(state) || Boolean(state.lead.name);

  return {
    text,
    intent,
    conversationIntent: state.intent,
    sources: modelAnswer ? modelAnswer.sources : answers.map((hit) => ({ id: hit.entryId, title: hit.title })),
    askedKnowledge: shouldSearch,
    answeredByModel: modelAnswer !== null,
    answered: Boolean(answer),
    confidence,
    lead: showLead ? buildLeadResult(state, settings, lead.changed) : null,
    escalation,
    quickReplies,
    state,
  };
}
