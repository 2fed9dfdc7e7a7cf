import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../lib/pagination.js';

export const MAX_QUESTION_CHARS = 1_000;
export const MAX_ANSWER_CHARS = 10_000;
export const MAX_TITLE_CHARS = 200;
export const MAX_DOCUMENT_CHARS = 200_000;
export const MAX_IMPORT_FAQS = 5_000;
export const MAX_IMPORT_DOCUMENTS = 200;
export const IMPORT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export const FaqInput = Type.Object(
  {
    kind: Type.Literal('faq'),
    question: Type.String({ minLength: 1, maxLength: MAX_QUESTION_CHARS }),
    answer: Type.String({ minLength: 1, maxLength: MAX_ANSWER_CHARS }),
  },
  { additionalProperties: false },
);

export const DocumentInput = Type.Object(
  {
    kind: Type.Literal('document'),
    title: Type.String({ minLength: 1, maxLength: MAX_TITLE_CHARS }),
    text: Type.String({ minLength: 1, maxLength: MAX_DOCUMENT_CHARS }),
  },
  { additionalProperties: false },
);

export const CreateEntryBody = Type.Union([FaqInput, DocumentInput]);

export const UpdateEntryBody = Type.Object(
  {
    question: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_QUESTION_CHARS })),
    answer: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ANSWER_CHARS })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TITLE_CHARS })),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_DOCUMENT_CHARS })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** The JSON import body; rows are checked one by one by the service so errors can name the row. */
export const ImportBody = Type.Object(
  {
    faqs: Type.Optional(Type.Array(Type.Unknown(), { maxItems: MAX_IMPORT_FAQS })),
    documents: Type.Optional(Type.Array(Type.Unknown(), { maxItems: MAX_IMPORT_DOCUMENTS })),
  },
  { additionalProperties: false },
);

export const KnowledgeParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const EntryParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), entryId: Type.String({ minLength: 1, maxLength: 64 }) });

export const KnowledgeListQuery = Type.Object(
  {
    ...PageQuery,
    kind: Type.Optional(Type.Union([Type.Literal('faq'), Type.Literal('document'), Type.Literal('curated')])),
    q: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const EntryView = Type.Object({
  id: Type.String(),
  chatbotId: Type.String(),
  kind: Type.String(),
  title: Type.String(),
  question: Type.Union([Type.String(), Type.Null()]),
  answer: Type.Union([Type.String(), Type.Null()]),
  text: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
