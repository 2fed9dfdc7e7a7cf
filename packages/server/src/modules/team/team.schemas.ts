import { Type, type TSchema } from '@sinclair/typebox';
import { EMAIL_PATTERN, PASSWORD_MIN_CHARS, UserView, CustomerView } from '../accounts/accounts.schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** `owner`: everything; `agent`: inbox, conversations and leads (http/roles.ts). */
export const MemberRole = Type.Union([Type.Literal('owner'), Type.Literal('agent')]);

/** The longest display name: it heads the widget while the person answers. */
export const DISPLAY_NAME_MAX_CHARS = 60;
/** A display name is one line of visible text: no control characters (line breaks included). */
const DisplayName = Type.String({ maxLength: DISPLAY_NAME_MAX_CHARS, pattern: '^[^\\u0000-\\u001F\\u007F]*$' });

export const MemberView = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  /** The display name visitors see on this person's replies; null when unset (visitors then see "<business> team"). */
  name: Nullable(Type.String()),
  role: MemberRole,
  joinedAt: Type.String(),
  isYou: Type.Boolean(),
  /** Has the inbox open right now (in any tab, on any API process). */
  online: Type.Boolean(),
  lastSeenAt: Nullable(Type.String()),
});

export const InviteView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: MemberRole,
  invitedBy: Nullable(Type.String()),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});

export const CreateInviteBody = Type.Object(
  { email: Type.String({ maxLength: 254, pattern: EMAIL_PATTERN }), role: MemberRole },
  { additionalProperties: false },
);

export const CreatedInvite = Type.Object({
  invite: InviteView,
  /** True when the link went out by e-mail (SMTP and FC_PUBLIC_URL set); the link is then not shown here. */
  emailed: Type.Boolean(),
  /** The link to hand over yourself when it was not e-mailed: absolute with FC_PUBLIC_URL, else null (see acceptPath). */
  link: Nullable(Type.String()),
  /** `/accept-invite#token=…` when not e-mailed: the portal prefixes its own origin when `link` is null. */
  acceptPath: Nullable(Type.String()),
  /** Why the link was not e-mailed, in words for the owner. */
  detail: Type.String(),
});

export const ChangeRoleBody = Type.Object({ role: MemberRole }, { additionalProperties: false });

export const MemberParams = Type.Object({ userId: Type.String({ pattern: '^usr_[A-Za-z0-9_-]{8,40}$' }) });
export const InviteParams = Type.Object({ id: Type.String({ pattern: '^inv_[A-Za-z0-9_-]{8,40}$' }) });

const InviteToken = Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });

export const InspectInviteBody = Type.Object({ token: InviteToken }, { additionalProperties: false });

export const InviteDetails = Type.Object({
  customerName: Type.String(),
  email: Type.String(),
  role: MemberRole,
  invitedBy: Nullable(Type.String()),
  expiresAt: Type.String(),
  /** The e-mail already has a login: accepting then asks for its password instead of a new one. */
  hasAccount: Type.Boolean(),
});

export const AcceptInviteBody = Type.Object(
  {
    token: InviteToken,
    /** The existing login's password, or a new one (at least PASSWORD_MIN_CHARS) for a new login. */
    password: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.Optional(DisplayName),
  },
  { additionalProperties: false },
);

export const AcceptedInvite = Type.Object({ user: UserView, customer: CustomerView, csrfToken: Type.String() });

export const PresenceView = Type.Object({
  userId: Type.String(),
  name: Nullable(Type.String()),
  email: Type.String(),
  role: MemberRole,
  online: Type.Boolean(),
  lastSeenAt: Nullable(Type.String()),
});

export const ProfileBody = Type.Object(
  { name: Nullable(DisplayName) },
  { additionalProperties: false },
);

export { PASSWORD_MIN_CHARS };
