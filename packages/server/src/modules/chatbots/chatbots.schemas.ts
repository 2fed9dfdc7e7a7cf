import { WidgetLanguageSource } from '@fc/contracts';
import { Type, type Static } from '@sinclair/typebox';

/** Chatbot settings (contract section 6). Every field has a default, so `POST {name}` alone makes a working bot. */
const LeadFieldSchema = Type.Union([Type.Literal('name'), Type.Literal('email'), Type.Literal('phone')]);
const IntentName = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' });
const OriginPattern = '^https?://(\\*\\.)?[A-Za-z0-9.-]+(:\\d{1,5})?$';

export const ChatbotSettings = Type.Object(
  {
    greeting: Type.String({ minLength: 1, maxLength: 500 }),
    /** What the business does, in a few sentences: a configured language model reads it with the knowledge. */
    description: Type.String({ maxLength: 1_000 }),
    defaultPhoneRegion: Type.String({ pattern: '^[A-Z]{2}$' }),
    locale: Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 35 }),
    /**
     * Where the widget's own words take their language from (issue 15, item 12): `locale` (default) — this chatbot's
     * locale, else the visitor's browser, else English; `browser` — the visitor's browser first. The widget speaks
     * English, Spanish, French, German and Portuguese; the greeting and answers are the business's own words.
     */
    widgetLanguage: WidgetLanguageSource,
    allowedOrigins: Type.Array(Type.String({ pattern: OriginPattern, maxLength: 255 }), { maxItems: 20 }),
    leadCapture: Type.Object(
      {
        enabled: Type.Boolean(),
        fields: Type.Array(LeadFieldSchema, { maxItems: 3, uniqueItems: true }),
        requiredFields: Type.Array(LeadFieldSchema, { maxItems: 3, uniqueItems: true }),
        intents: Type.Array(IntentName, { maxItems: 30, uniqueItems: true }),
      },
      { additionalProperties: false },
    ),
    escalation: Type.Object(
      {
        enabled: Type.Boolean(),
        onRequest: Type.Boolean(),
        onAnger: Type.Boolean(),
        onComplaint: Type.Boolean(),
        onLegal: Type.Boolean(),
        maxFailedAnswers: Type.Integer({ minimum: 0, maximum: 20 }),
        keywords: Type.Array(Type.String({ minLength: 2, maxLength: 60 }), { maxItems: 50 }),
      },
      { additionalProperties: false },
    ),
    rateLimit: Type.Object(
      {
        perVisitorPerMinute: Type.Integer({ minimum: 1, maximum: 1_000 }),
        perIpPerMinute: Type.Integer({ minimum: 1, maximum: 10_000 }),
      },
      { additionalProperties: false },
    ),
    idleMinutesBeforeEnded: Type.Integer({ minimum: 1, maximum: 10_080 }),
    intents: Type.Array(
      Type.Object(
        {
          name: IntentName,
          examples: Type.Array(Type.String({ minLength: 2, maxLength: 300 }), { minItems: 1, maxItems: 50 }),
          captureLead: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      { maxItems: 30 },
    ),
    quickReplies: Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 6 }),
    /** When a person answers escalations (modules/handoff/business-hours.ts); outside them the bot says when. */
    businessHours: Type.Object(
      {
        enabled: Type.Boolean(),
        timezone: Type.String({ minLength: 1, maxLength: 64 }),
        weekly: Type.Array(
          Type.Object(
            {
              day: Type.Union([Type.Literal('sun'), Type.Literal('mon'), Type.Literal('tue'), Type.Literal('wed'), Type.Literal('thu'), Type.Literal('fri'), Type.Literal('sat')]),
              open: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }),
              close: Type.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' }),
            },
            { additionalProperties: false },
          ),
          { maxItems: 28 },
        ),
      },
      { additionalProperties: false },
    ),
    appearance: Type.Object(
      {
        title: Type.String({ minLength: 1, maxLength: 60 }),
        color: Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }),
        position: Type.Union([Type.Literal('bottom-right'), Type.Literal('bottom-left')]),
        avatarUrl: Type.Union([Type.String({ pattern: '^https://', maxLength: 2_048 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    llm: Type.Union([
      Type.Null(),
      Type.Object(
        {
          baseUrl: Type.String({ pattern: '^https?://', maxLength: 2_048 }),
          model: Type.String({ minLength: 1, maxLength: 200 }),
          apiKey: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
          /** Total time for one answer, streaming included; the built-in answer is used after it (default 12 s). */
          timeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 60_000 })),
          /**
           * `understand` (default): the model reads each question with the retrieved passages and answers with
           * citations, contact details, follow-up and escalation, all checked; `phrase`: it only rewords the
           * built-in engine's answers.
           */
          mode: Type.Optional(Type.Union([Type.Literal('understand'), Type.Literal('phrase')])),
          /** Tokens (prompt + completion, as the provider reports them) this chatbot may use per UTC day; then the built-in engine answers alone (default 200,000). */
          dailyTokenLimit: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 100_000_000 })),
          /** An embeddings model on the same provider (`POST {baseUrl}/embeddings`): passages are embedded in the background and searched with the built-in retrieval. */
          embeddingsModel: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ]),
  },
  { additionalProperties: false },
);
export type ChatbotSettings = Static<typeof ChatbotSettings>;

/** Partial settings as a client sends them on create/update; merged over the current values. */
export const ChatbotSettingsPatch = Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 30 });

export const CreateChatbotBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 120 }), settings: Type.Optional(ChatbotSettingsPatch) },
  { additionalProperties: false },
);

export const UpdateChatbotBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })), settings: Type.Optional(ChatbotSettingsPatch) },
  { additionalProperties: false, minProperties: 1 },
);

/** The settings as the API shows them: the LLM key is write-only. */
const PublicSettings = Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true }));

export const ChatbotView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  settings: PublicSettings,
  knowledgeVersion: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
