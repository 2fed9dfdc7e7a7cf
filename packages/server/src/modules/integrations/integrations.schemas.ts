import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EVENT_TYPES, SHEETS_EVENT_TYPES } from '@fc/contracts';
import { PageQuery } from '../../lib/pagination.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const ChatbotId = Nullable(Type.String({ minLength: 1, maxLength: 64 }));
const Health = Type.Object({
  lastSuccessAt: Nullable(Type.String()),
  lastFailureAt: Nullable(Type.String()),
  failingSince: Nullable(Type.String()),
  pending: Type.Integer(),
});

// ---------------------------------------------------------------------------------------------------------
// Zapier REST hooks (X-API-Key)

const SubscribableEvent = Type.Union(EVENT_TYPES.filter((type) => type !== 'webhook.test').map((type) => Type.Literal(type)));

export const ZapierHookBody = Type.Object({
  event: SubscribableEvent,
  targetUrl: Type.String({ minLength: 8, maxLength: 2_048 }),
  chatbotId: Type.Optional(ChatbotId),
}, { additionalProperties: false });
export type ZapierHookInput = Static<typeof ZapierHookBody>;

export const ZapierEventParams = Type.Object({ event: SubscribableEvent });
export const ZapierSamplesQuery = Type.Object({ chatbotId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

export const ZapierMe = Type.Object({
  customer: Type.Object({ id: Type.String(), name: Type.String() }),
  apiKey: Type.Object({ id: Type.String(), name: Type.String(), prefix: Type.String() }),
});

export const ZapierHookView = Type.Object({
  id: Type.String(),
  event: Type.String(),
  targetUrl: Type.String(),
  chatbotId: Nullable(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('unsubscribed')]),
  statusReason: Nullable(Type.String()),
  health: Health,
  createdAt: Type.String(),
});
export type ZapierHookView = Static<typeof ZapierHookView>;

// ---------------------------------------------------------------------------------------------------------
// Google Sheets (portal)

const SheetsEvent = Type.Union(SHEETS_EVENT_TYPES.map((type) => Type.Literal(type)));
// The key file is checked field by field by the service (plain-words errors); the schema bounds its size.
const ServiceAccountKey = Type.Union([Type.String({ minLength: 2, maxLength: 20_000 }), Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 30 })]);
const Column = Type.Object({ header: Type.String({ minLength: 1, maxLength: 100 }), value: Type.Unknown() }, { additionalProperties: false });

export const CreateSheetsBody = Type.Object({
  serviceAccountKey: ServiceAccountKey,
  /** The id, or the sheet's whole address (the id is taken from it). */
  spreadsheetId: Type.String({ minLength: 10, maxLength: 300 }),
  tabName: Type.String({ minLength: 1, maxLength: 100 }),
  events: Type.Optional(Type.Array(SheetsEvent, { minItems: 1, maxItems: SHEETS_EVENT_TYPES.length })),
  chatbotId: Type.Optional(ChatbotId),
  columns: Type.Optional(Type.Array(Column, { minItems: 1, maxItems: 40 })),
}, { additionalProperties: false });
export type CreateSheetsInput = Static<typeof CreateSheetsBody>;

export const UpdateSheetsBody = Type.Object({
  serviceAccountKey: Type.Optional(ServiceAccountKey),
  spreadsheetId: Type.Optional(Type.String({ minLength: 10, maxLength: 300 })),
  tabName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  events: Type.Optional(Type.Array(SheetsEvent, { minItems: 1, maxItems: SHEETS_EVENT_TYPES.length })),
  chatbotId: Type.Optional(ChatbotId),
  columns: Type.Optional(Type.Array(Column, { minItems: 1, maxItems: 40 })),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 });
export type UpdateSheetsInput = Static<typeof UpdateSheetsBody>;

export const SheetsView = Type.Object({
  id: Type.String(),
  spreadsheetId: Type.String(),
  spreadsheetUrl: Type.String(),
  tabName: Type.String(),
  events: Type.Array(Type.String()),
  chatbotId: Nullable(Type.String()),
  columns: Type.Array(Type.Object({ header: Type.String(), value: Type.Unknown() })),
  /** Row 1: the fixed columns, then `columns`. */
  header: Type.Array(Type.String()),
  serviceAccountEmail: Type.String(),
  privateKeyId: Nullable(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String()),
  disabledAt: Nullable(Type.String()),
  health: Health,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type SheetsView = Static<typeof SheetsView>;

export const ConnectionReport = Type.Object({
  ok: Type.Boolean(),
  serviceAccountEmail: Type.String(),
  spreadsheetTitle: Nullable(Type.String()),
  tabs: Type.Array(Type.String()),
  /** What stops delivery, in plain words; empty when `ok`. */
  problems: Type.Array(Type.String()),
  /** What is fine or worth knowing. */
  notes: Type.Array(Type.String()),
});
export type ConnectionReport = Static<typeof ConnectionReport>;

export const ListQuery = Type.Object(PageQuery, { additionalProperties: false });

export const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
