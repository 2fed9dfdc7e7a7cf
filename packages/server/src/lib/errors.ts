/**
 * Errors the API answers on purpose. Every code maps to one HTTP status and one stable problem `type`;
 * the single error handler in `app.ts` turns them into `application/problem+json`.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  /** A conversation token that was right but has expired: the widget starts a new conversation. */
  conversation_expired: 401,
  payment_required: 402,
  forbidden: 403,
  csrf_failed: 403,
  /** A `read` API key tried to change something. */
  read_only_key: 403,
  /** Only a portal session may do this (manage API keys, cancel the account), not an API key. */
  session_required: 403,
  /** An agent asked for something only an account owner may do (http/roles.ts). */
  owner_only: 403,
  not_found: 404,
  conflict: 409,
  /** Removing or demoting the account's last owner would leave nobody able to manage it. */
  last_owner: 409,
  /** The invited e-mail already belongs to a member of the account. */
  already_member: 409,
  /** An `Idempotency-Key` or `clientMessageId` sent again with a different request. */
  idempotency_key_reused: 409,
  /** An `Idempotency-Key` whose first request is still running. */
  idempotency_key_in_use: 409,
  /** A satisfaction rating for a conversation no person has resolved (yet, or since it was reopened). */
  not_resolved: 409,
  /** A second, different satisfaction rating for the same resolution. */
  already_rated: 409,
  /** A website import or re-sync of this chatbot is already running (one at a time per chatbot). */
  crawl_in_progress: 409,
  gone: 410,
  payload_too_large: 413,
  knowledge_limit: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  /** A signup that cannot go ahead; deliberately says no more (it must not reveal that an e-mail is registered). */
  signup_not_completed: 422,
  /** A password-reset link that is unknown, used or expired (one answer for all three). */
  reset_link_invalid: 400,
  /** An invitation link that is unknown, accepted already, revoked or expired (one answer for all four). */
  invite_invalid: 400,
  /** Password reset by e-mail needs SMTP and FC_PUBLIC_URL; the detail says what to do instead. */
  password_reset_unavailable: 403,
  rate_limited: 429,
  /** A website-import cap (imports running per account, imports per day); the detail names the cap. */
  crawl_limit: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A field-level problem, so a form can show the message next to the right input. */
export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;

  constructor(code: ErrorCode, detail: string, errors?: FieldError[]) {
    super(detail);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.errors = errors;
  }
}

/** Throws `not_found` when a tenant-scoped lookup came back empty (same answer for "absent" and "not yours"). */
export function assertFound<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new AppError('not_found', `${what} not found`);
  return value;
}
