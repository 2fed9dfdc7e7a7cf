/** Public types of the built-in chat engine. The engine is pure: the chat service persists everything. */

export type LeadField = 'name' | 'email' | 'phone';

export const LEAD_FIELDS: readonly LeadField[] = ['name', 'email', 'phone'];

/**
 * One knowledge entry of a chatbot. 'curated' = a corrected answer saved from the training review queue
 * ({question, answer}); it wins for that question and its paraphrases.
 */
export interface KnowledgeEntry {
  id: string;
  kind: 'faq' | 'document' | 'curated';
  title: string;
  question: string | null;
  answer: string | null;
  text: string | null;
}

/** A thumbs-up: the visitor's question becomes an extra paraphrase of the entry that answered it. */
export interface LearnedExample {
  question: string;
  entryId: string;
  /** Grows with repeated thumbs-up for the same question; 1 for the first. */
  weight: number;
}

export interface CustomIntent {
  name: string;
  examples: string[];
  captureLead: boolean;
}

export interface EngineSettings {
  /** The chatbot's (business's) name, used in phrasing. */
  businessName: string;
  /** ISO region ('US', 'GB', …) for numbers written without a country code. */
  defaultPhoneRegion: string;
  leadCapture: { enabled: boolean; fields: LeadField[]; requiredFields: LeadField[]; intents: string[] };
  escalation: {
    enabled: boolean;
    onRequest: boolean;
    onAnger: boolean;
    onComplaint: boolean;
    onLegal: boolean;
    maxFailedAnswers: number;
    keywords: string[];
  };
  customIntents: CustomIntent[];
  /** Minimum retrieval confidence (0–1) to answer from the knowledge base. */
  answerThreshold?: number;
}

export interface LeadDetails {
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** Persisted by the service as JSON between turns. */
export interface ConversationState {
  version: 1;
  turns: number;
  /** The conversation's main intent. */
  intent: string | null;
  lead: LeadDetails;
  awaitingField: LeadField | null;
  declinedFields: LeadField[];
  /** How often each field was asked for, so the bot does not nag. */
  askedCounts: Partial<Record<LeadField, number>>;
  escalated: boolean;
  failedAnswers: number;
  /** Whether the "we'll be in touch" line was already said. */
  leadAcknowledged: boolean;
  lastBotText?: string;
  lastSourceIds?: string[];
  /** The lead intent the conversation's first question leans to, used when the visitor later leaves a contact. */
  leadIntentHint?: string;
  /**
   * True while `intent` is only a guess made when contact details came before any request ("Hi, Sarah Kim,
   * 512 555 0171"): the visitor's first real request then decides it.
   */
  intentGuessed?: boolean;
  /** The last question the bot answered from the knowledge base: a follow-up ("and on Saturdays?") is read against it. */
  lastQuestion?: string;
}

export interface RetrievalHit {
  /** The knowledge entry the hit quotes (for a learned paraphrase: the entry it points to). */
  entryId: string;
  kind: KnowledgeEntry['kind'];
  title: string;
  /** The text to quote: an FAQ or curated answer, or the best passage of a document. */
  text: string;
  /** Calibrated 0–1 relevance; compare with the answer threshold. */
  confidence: number;
  /** Whether the match came through a learned (thumbs-up) paraphrase. */
  viaLearned: boolean;
}

export interface KnowledgeIndex {
  /** Best hits first, at most one per entry. */
  search(query: string, limit?: number): RetrievalHit[];
  /** Adds or replaces one entry. */
  upsert(entry: KnowledgeEntry): void;
  /** Removes an entry (and the learned paraphrases pointing at it). */
  remove(entryId: string): void;
  /** Adds a learned paraphrase, or raises its weight when it is already known. */
  addLearned(example: LearnedExample): void;
  /** A few FAQ questions, for quick replies. */
  suggestQuestions(limit: number): string[];
  /** Number of knowledge entries. */
  readonly size: number;
}

export interface LeadResult {
  changed: boolean;
  fields: LeadDetails;
  missing: LeadField[];
  /** The required fields are in: the service records (or updates) the lead. */
  complete: boolean;
  /**
   * The lead-capture flow is over: every field the chatbot asks for was given, declined, or asked for as often
   * as the bot asks. The service sends `lead.captured` when a flow with at least one contact finishes.
   */
  finished: boolean;
}

/**
 * What a language model understood of the visitor's message (chat/llm.understanding.ts), handed to the turn so the
 * engine still runs the dialogue: it merges the model's reading with its own and words the lead questions,
 * escalation notices and honest "I don't know" as always. Every field is optional: absent means "no opinion".
 */
export interface TurnUnderstanding {
  /** The model's answer with the knowledge entries it cites, or 'unknown' when it found no answer in them. */
  answer?: { text: string; sources: { id: string; title: string }[] } | 'unknown';
  /** Contact details the model read in the message (the caller checked each one appears in it). */
  leadFields?: Partial<LeadDetails>;
  /** The visitor wants follow-up (a quote, a booking): the lead intent the model reads. */
  followUpIntent?: string;
  /** A person is needed now, and why. */
  escalation?: EscalationReasonName;
}

/** Reasons a conversation is handed to a person (escalation.ts maps classifier labels to them). */
export type EscalationReasonName = 'requested_human' | 'anger' | 'complaint' | 'legal' | 'urgent' | 'keyword' | 'repeated_failed_answers';

export interface TurnResult {
  text: string;
  /** The message was read as a question for the knowledge base (not small talk, details only, an injection or a hand-over). */
  askedKnowledge: boolean;
  /** The answer came from a language model's understanding rather than the built-in retrieval. */
  answeredByModel: boolean;
  intent: string | null;
  conversationIntent: string | null;
  sources: { id: string; title: string }[];
  answered: boolean;
  confidence: number;
  lead: LeadResult | null;
  escalation: { reason: string } | null;
  quickReplies: string[];
  state: ConversationState;
}

export interface TurnInput {
  message: string;
  state: ConversationState;
  settings: EngineSettings;
  index: KnowledgeIndex;
  /** A language model's reading of the message, when the chatbot has one (see TurnUnderstanding). */
  understanding?: TurnUnderstanding;
}
