import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EVENT_TYPES } from '@fc/contracts';

const ISO_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const EventTypeName = Type.Union(EVENT_TYPES.map((type) => Type.Literal(type)));
const SigningModeSchema = Type.Union([Type.Literal('hmac-sha256'), Type.Literal('shared-secret')]);
const BodyFormatSchema = Type.Union([Type.Literal('json'), Type.Literal('form')]);
const PresetId = Type.Union([Type.Literal('hubspot'), Type.Literal('salesforce'), Type.Literal('pipedrive'), Type.Literal('generic')]);
// Mappings and headers are checked in depth by the delivery core (paths, templates, sizes, reserved names);
// the schema only bounds their outer shape.
// One mapping per event type and one for "*": the bound grows with the catalogue (a fixed 8 refused a full editor's save).
const MappingsSchema = Type.Record(Type.String({ maxLength: 40 }), Type.Record(Type.String({ maxLength: 100 }), Type.Unknown()), { maxProperties: EVENT_TYPES.length + 1 });
const HeadersSchema = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 2_048 }), { maxProperties: 20 });
const Url = Type.String({ minLength: 8, maxLength: 2_048 });
const Secret = Type.String({ minLength: 1, maxLength: 300 });
const ChatbotId = Nullable(Type.String({ minLength: 1, maxLength: 64 }));

export const CreateWebhookBody = Type.Object({
  url: Url,
  events: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 10 }),
  chatbotId: Type.Optional(ChatbotId),
  signingMode: Type.Optional(SigningModeSchema),
  secret: Type.Optional(Secret),
  mappings: Type.Optional(MappingsSchema),
  headers: Type.Optional(HeadersSchema),
  bodyFormat: Type.Optional(BodyFormatSchema),
  preset: Type.Optional(Nullable(PresetId)),
}, { additionalProperties: false });
export type CreateWebhookInput = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 10 })),
  chatbotId: Type.Optional(ChatbotId),
  signingMode: Type.Optional(SigningModeSchema),
  mappings: Type.Optional(MappingsSchema),
  headers: Type.Optional(HeadersSchema),
  bodyFormat: Type.Optional(BodyFormatSchema),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 });
export type UpdateWebhookInput = Static<typeof UpdateWebhookBody>;

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  chatbotId: Nullable(Type.String()),
  signingMode: SigningModeSchema,
  mappings: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())),
  headers: Type.Record(Type.String(), Type.String()),
  bodyFormat: BodyFormatSchema,
  preset: Nullable(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String()),
  disabledAt: Nullable(Type.String()),
  secretHint: Type.String(),
  previousSecretExpiresAt: Nullable(Type.String()),
  health: Type.Object({
    lastSuccessAt: Nullable(Type.String()),
    lastFailureAt: Nullable(Type.String()),
    failingSince: Nullable(Type.String()),
    /** Unfinished deliveries (pending or retrying). */
    pending: Type.Integer(),
    /** Those of them that failed at least once and wait for their next attempt. */
    retrying: Type.Optional(Type.Integer()),
  }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type WebhookView = Static<typeof WebhookView>;

export const CreatedWebhook = Type.Intersect([WebhookView, Type.Object({ secret: Type.String() })]);

export const RotateSecretBody = Type.Object({ secret: Type.Optional(Secret) }, { additionalProperties: false });

export const PreviewBody = Type.Object({
  eventType: EventTypeName,
  mappings: Type.Optional(MappingsSchema),
  bodyFormat: Type.Optional(BodyFormatSchema),
  chatbotId: Type.Optional(ChatbotId),
}, { additionalProperties: false });

export const TestResult = Type.Object({
  deliveryId: Type.String(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('retrying'), Type.Literal('failed')]),
  statusCode: Nullable(Type.Integer()),
  latencyMs: Type.Integer(),
  error: Nullable(Type.String()),
  responseExcerpt: Type.String(),
});

const DeliveryStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('retrying'), Type.Literal('succeeded'), Type.Literal('failed')]);

export const DeliveryItem = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  status: DeliveryStatusSchema,
  attempts: Type.Integer(),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(Type.String()),
  createdAt: Type.String(),
  completedAt: Nullable(Type.String()),
});

export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(DeliveryStatusSchema),
  eventType: Type.Optional(EventTypeName),
  since: Type.Optional(Type.String({ pattern: ISO_TIME_PATTERN, maxLength: 40 })),
}, { additionalProperties: false });

export const RecoverBody = Type.Object({ since: Type.String({ pattern: ISO_TIME_PATTERN, maxLength: 40 }) }, { additionalProperties: false });

export const RecoverResult = Type.Object({
  requeued: Type.Integer({ description: 'failed + retrying' }),
  failed: Type.Integer({ description: 'failed deliveries queued again with a fresh retry schedule' }),
  retrying: Type.Integer({ description: 'pending or retrying deliveries made due now' }),
  inFlight: Type.Integer({ description: 'deliveries a worker is sending right now (left alone)' }),
});

export const RetryNowResult = Type.Object({
  scheduled: Type.Integer({ description: 'pending or retrying deliveries made due now' }),
  inFlight: Type.Integer({ description: 'deliveries a worker is sending right now (left alone)' }),
});
