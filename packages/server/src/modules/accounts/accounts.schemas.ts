import { Type, type Static } from '@sinclair/typebox';

export const EMAIL_PATTERN = "^[^\\s@<>()\\[\\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";
export const PASSWORD_MIN_CHARS = 10;

/** A password someone chooses (signup, change, reset): the same rules everywhere. */
const NewPassword = Type.String({ minLength: PASSWORD_MIN_CHARS, maxLength: 200 });

export const SignupBody = Type.Object(
  {
    email: Type.String({ maxLength: 254, pattern: EMAIL_PATTERN }),
    password: NewPassword,
    company: Type.String({ minLength: 1, maxLength: 120 }),
    name: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
);
export type SignupBody = Static<typeof SignupBody>;

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const UserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  role: Type.String(),
  createdAt: Type.String(),
});

export const CustomerView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  trialEndsAt: Type.String(),
  isActive: Type.Boolean(),
  trialDaysLeft: Type.Union([Type.Number(), Type.Null()]),
  createdAt: Type.String(),
  cancelledAt: Type.Union([Type.String(), Type.Null()]),
});

export const SessionReply = Type.Object({
  user: UserView,
  customer: CustomerView,
  csrfToken: Type.Union([Type.String(), Type.Null()]),
});

/** `read`: GET requests only; `write` (the default, what every key could do before scopes): changes too. */
export const ApiKeyScope = Type.Union([Type.Literal('read'), Type.Literal('write')]);

export const CreateApiKeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 80 }), scope: Type.Optional(ApiKeyScope) },
  { additionalProperties: false },
);

export const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  scope: ApiKeyScope,
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedApiKey = Type.Intersect([ApiKeyView, Type.Object({ key: Type.String() })]);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: NewPassword },
  { additionalProperties: false },
);

export const PasswordResetRequestBody = Type.Object(
  { email: Type.String({ maxLength: 254, pattern: EMAIL_PATTERN }) },
  { additionalProperties: false },
);

export const PasswordResetBody = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }), newPassword: NewPassword },
  { additionalProperties: false },
);

export const PasswordResetStatus = Type.Object({
  /** False when the server has no SMTP or no FC_PUBLIC_URL: `detail` then says what to do instead. */
  available: Type.Boolean(),
  detail: Type.String(),
});
