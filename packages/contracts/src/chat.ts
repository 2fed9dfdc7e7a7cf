import { Type, type Static } from '@sinclair/typebox';

/** Wire types of the public chat API (contract section 3), shared by the server and the widget. */
export const ID_PATTERN = '^[a-z]{2,4}_[A-Za-z0-9_-]{8,40}$';
export const MAX_MESSAGE_CHARS = 2_000;
export const MAX_VISITOR_ID_CHARS = 128;

export const ChatContext = Type.Object(
  {
    pageUrl: Type.Optional(Type.String({ maxLength: 2_048 })),
    referrer: Type.Optional(Type.String({ maxLength: 2_048 })),
    locale: Type.Optional(Type.String({ maxLength: 35, pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
  },
  { additionalProperties: false },
);

export const SystemChatRequest = Type.Object(
  {
    chatbotId: Type.String({ pattern: '^bot_[A-Za-z0-9_-]{8,40}$' }),
    visitorId: Type.String({ minLength: 1, maxLength: MAX_VISITOR_ID_CHARS, pattern: '^[A-Za-z0-9_.:-]+$' }),
    conversationId: Type.Optional(Type.String({ pattern: '^conv_[A-Za-z0-9_-]{8,40}$' })),
    conversationToken: Type.Optional(Type.String({ minLength: 16, maxLength: 128 })),
    message: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_CHARS }),
    context: Type.Optional(ChatContext),
    /**
     * The client's id for this message (optional extension): a repeat with the same id in the same conversation
     * (or, without `conversationId`, for the same chatbot and visitor) answers the stored reply instead of a second turn.
     */
    clientMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._~-]+$' })),
  },
  { additionalProperties: false },
);
export type SystemChatRequest = Static<typeof SystemChatRequest>;

/**
 * A knowledge entry the answer came from. `url` (extension, issue 14): the web page a passage was imported
 * from, present only for passages of an imported website, so a client can link to it.
 */
export const ChatSource = Type.Object({ id: Type.String(), title: Type.String(), url: Type.Optional(Type.String()) });
export type ChatSource = Static<typeof ChatSource>;

/**
 * What a `system` notice a person's action left says (optional extension of the contract's message), so a client can
 * word it in the visitor's language (`authorName` is that person's public name): `claimed` (they joined),
 * `handed_back` (back to the bot), `resolved` (the widget then asks the visitor for a satisfaction rating).
 */
export const NoticeKind = Type.Union([Type.Literal('claimed'), Type.Literal('handed_back'), Type.Literal('resolved')]);
export type NoticeKind = Static<typeof NoticeKind>;

export const ChatMessage = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal('visitor'), Type.Literal('assistant'), Type.Literal('agent'), Type.Literal('system')]),
  text: Type.String(),
  createdAt: Type.String(),
  authorName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  kind: Type.Optional(NoticeKind),
});
export type ChatMessage = Static<typeof ChatMessage>;

/** Who answers the conversation (human handoff): the bot, a person being waited for, a person, or nobody since resolved. */
export const HandoffState = Type.Union([Type.Literal('bot'), Type.Literal('waiting_for_human'), Type.Literal('human'), Type.Literal('resolved')]);
export type HandoffState = Static<typeof HandoffState>;

/**
 * Present on a system-chat reply once a person is involved. While `state` is `waiting_for_human` or `human`
 * the bot did not answer: `message` is then a `system` notice (stored once; later turns repeat the same
 * message id), which a client shows once or not at all.
 */
export const HandoffInfo = Type.Object({
  state: HandoffState,
  /** The person handling the conversation (null while waiting). */
  agentName: Type.Union([Type.String(), Type.Null()]),
  /** Outside the chatbot's business hours: when a person is next available (ISO 8601 UTC), else null. */
  nextOpenAt: Type.Union([Type.String(), Type.Null()]),
});
export type HandoffInfo = Static<typeof HandoffInfo>;

export const SystemChatReply = Type.Object({
  conversationId: Type.String(),
  conversationToken: Type.String(),
  /** When the token stops working unless the visitor writes again (each message moves it on; 401 `conversation_expired` after). */
  conversationTokenExpiresAt: Type.Optional(Type.String()),
  message: ChatMessage,
  intent: Type.Union([Type.String(), Type.Null()]),
  lead: Type.Optional(Type.Object({ captured: Type.Boolean(), missing: Type.Array(Type.String()) })),
  escalated: Type.Boolean(),
  quickReplies: Type.Optional(Type.Array(Type.String())),
  sources: Type.Array(ChatSource),
  handoff: Type.Optional(HandoffInfo),
});
export type SystemChatReply = Static<typeof SystemChatReply>;

export const RateRequest = Type.Object(
  {
    messageId: Type.String({ pattern: '^msg_[A-Za-z0-9_-]{8,40}$' }),
    rating: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    comment: Type.Optional(Type.String({ maxLength: 1_000 })),
    conversationToken: Type.String({ minLength: 16, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type RateRequest = Static<typeof RateRequest>;

export const RateReply = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  conversationId: Type.String(),
  rating: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  comment: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type RateReply = Static<typeof RateReply>;

/**
 * After a person resolved the conversation, the visitor may rate the help they got (1 = very poor … 5 = excellent).
 * Once per resolution: a repeat of the same rating answers the stored one, a different one 409 `already_rated`.
 */
export const SATISFACTION_MIN_SCORE = 1;
export const SATISFACTION_MAX_SCORE = 5;
export const SatisfactionRequest = Type.Object(
  {
    score: Type.Integer({ minimum: SATISFACTION_MIN_SCORE, maximum: SATISFACTION_MAX_SCORE }),
    comment: Type.Optional(Type.String({ maxLength: 1_000 })),
    conversationToken: Type.String({ minLength: 16, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type SatisfactionRequest = Static<typeof SatisfactionRequest>;

export const SatisfactionReply = Type.Object({
  conversationId: Type.String(),
  score: Type.Integer(),
  comment: Type.Union([Type.String(), Type.Null()]),
  ratedAt: Type.String(),
});
export type SatisfactionReply = Static<typeof SatisfactionReply>;

/** Where the widget's own words (buttons, notices, labels) take their language from; the business writes its greeting. */
export const WIDGET_LANGUAGE_SOURCES = ['locale', 'browser'] as const;
export const WidgetLanguageSource = Type.Union(WIDGET_LANGUAGE_SOURCES.map((source) => Type.Literal(source)));
export type WidgetLanguageSource = (typeof WIDGET_LANGUAGE_SOURCES)[number];

export const WidgetConfig = Type.Object({
  chatbotId: Type.String(),
  name: Type.String(),
  greeting: Type.String(),
  title: Type.String(),
  color: Type.String(),
  position: Type.Union([Type.Literal('bottom-right'), Type.Literal('bottom-left')]),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  quickReplies: Type.Array(Type.String()),
  active: Type.Boolean(),
  /** The chatbot's locale (BCP 47, e.g. `es-ES`). */
  locale: Type.String(),
  /**
   * `locale`: the widget speaks the chatbot's locale when it has that language, else the visitor's browser language,
   * else English. `browser`: the visitor's browser language first, then the chatbot's locale, then English.
   */
  widgetLanguage: WidgetLanguageSource,
});
export type WidgetConfig = Static<typeof WidgetConfig>;

export const HealthReply = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  checks: Type.Object({
    database: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    deliveryBacklog: Type.Union([Type.Number(), Type.Null()]),
  }),
});
export type HealthReply = Static<typeof HealthReply>;

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Number(),
  detail: Type.String(),
  code: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});
export type Problem = Static<typeof Problem>;
