import { Type } from '@sinclair/typebox';
import { SESSION_COOKIE, requireAuth, requireSession } from '../../http/auth.js';
import { createRateLimits } from '../../http/rate-limits.js';
import type { App, RouteDeps } from '../../http/types.js';
import { hashToken } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { createAccountMailer } from '../accounts/account-email.js';
import { setSessionCookie } from '../accounts/accounts.routes.js';
import { SessionReply, UserView } from '../accounts/accounts.schemas.js';
import { getMemberships, logOut, switchAccount, toCustomerView, toUserView, updateProfile } from '../accounts/accounts.service.js';
import type { LiveBus } from '../live/live-bus.js';
import {
  AcceptInviteBody, AcceptedInvite, ChangeRoleBody, CreateInviteBody, CreatedInvite, InspectInviteBody, InviteDetails, InviteParams, InviteView,
  MemberParams, MemberView, PresenceView, ProfileBody,
} from './team.schemas.js';
import { acceptInvite, changeRole, createInvite, inspectInvite, listInvites, listMembers, removeMember, revokeInvite } from './team.service.js';

const INVITES_PER_HOUR = 30;
const INVITE_USES_PER_ADDRESS = 20;
const INVITE_USES_PER_LINK = 10;
const INVITE_LOOKUPS_PER_ADDRESS = 60;

const NO_SMTP_DETAIL = 'This server does not send e-mail (no SMTP), so copy the link and send it to them yourself. It works once, for 7 days.';
const NO_PUBLIC_URL_DETAIL = 'This server cannot e-mail links without FC_PUBLIC_URL (its public address), so copy the link and send it to them yourself. It works once, for 7 days.';
const SEND_FAILED_DETAIL = 'The invitation e-mail could not be sent, so copy the link and send it to them yourself. It works once, for 7 days.';
const EMAILED_DETAIL = 'We e-mailed them a link. It works once, for 7 days.';
const ACCEPT_PATH = '/accept-invite';

export interface TeamDeps extends RouteDeps {
  liveBus: LiveBus;
}

/**
 * The team (issue 15, item 9), behind the portal's authentication: members and invitations (owners only, by
 * http/roles.ts), who has the inbox open (everyone), and each person's own profile and accounts.
 */
export function registerTeamRoutes(app: App, { config, database, liveBus }: TeamDeps): void {
  const { db } = database;
  // Invitation links are e-mailed only with SMTP *and* FC_PUBLIC_URL: a link is never built from the request's Host
  // header (someone could point it at their own server). Otherwise the owner is shown the link to pass on.
  const mailer = config.smtp && config.publicUrl ? createAccountMailer({ smtp: config.smtp, publicUrl: config.publicUrl, log: app.log }) : null;
  if (mailer) app.addHook('onClose', async () => mailer.close());
  const announce = (customerId: string, removedUserId?: string) => liveBus.publishInbox({ customerId, conversationId: '', kind: 'presence', ...(removedUserId ? { removedUserId } : {}) });

  app.get('/api/portal/team/members', { schema: { response: { 200: Type.Object({ items: Type.Array(MemberView), nextCursor: Type.Null() }) } } }, async (request) => {
    const auth = requireAuth(request);
    return { items: await listMembers(db, auth.customerId, auth.userId), nextCursor: null };
  });

  app.patch('/api/portal/team/members/:userId', { schema: { params: MemberParams, body: ChangeRoleBody, response: { 200: MemberView } } }, async (request) => {
    const auth = requireSession(request, 'Change roles in the portal, not with an API key.');
    const member = await changeRole(db, auth.customerId, request.params.userId, request.body.role);
    void announce(auth.customerId);
    return { ...member, isYou: member.userId === auth.userId };
  });

  // Shrinking access works on a lapsed account too, like revoking an API key.
  app.delete('/api/portal/team/members/:userId', {
    config: { allowsInactiveAccount: true },
    schema: { params: MemberParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const auth = requireSession(request, 'Remove members in the portal, not with an API key.');
    const { releasedConversationIds } = await removeMember(db, auth.customerId, request.params.userId);
    void announce(auth.customerId, request.params.userId);
    for (const conversationId of releasedConversationIds) void liveBus.publishInbox({ customerId: auth.customerId, conversationId, kind: 'updated' });
    // An owner who removed themselves has just ended this session too.
    if (request.params.userId === auth.userId) reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure });
    return reply.status(204).send(null);
  });

  app.get('/api/portal/team/invites', { schema: { response: { 200: Type.Object({ items: Type.Array(InviteView), nextCursor: Type.Null() }) } } }, async (request) => {
    return { items: await listInvites(db, requireAuth(request).customerId), nextCursor: null };
  });

  const inviteLimits = createRateLimits(app, [{ max: INVITES_PER_HOUR, timeWindow: '1 hour', keyGenerator: (request) => `invite:${request.auth?.customerId ?? request.ip}` }]);

  app.post('/api/portal/team/invites', {
    schema: { body: CreateInviteBody, response: { 201: CreatedInvite } },
    preHandler: inviteLimits,
  }, async (request, reply) => {
    // A person invites people: a leaked API key must not be able to add members to the account.
    const auth = requireSession(request, 'Invite people in the portal, not with an API key.');
    const { invite, token } = await createInvite(db, auth.customerId, auth.userId, request.body);
    // The token travels in the fragment: browsers never send it to a server, in a request line or a Referer.
    const acceptPath = `${ACCEPT_PATH}#token=${token}`;
    const link = config.publicUrl ? `${config.publicUrl}${acceptPath}` : null;
    if (mailer && link) {
      const customer = await db.selectFrom('customers').select('name').where('id', '=', auth.customerId).executeTakeFirstOrThrow();
      const sent = await mailer.sendInvite(invite.email, { link, company: customer.name, inviter: invite.invitedBy, role: invite.role, expiresAt: invite.expiresAt });
      if (sent) return reply.status(201).send({ invite, emailed: true, link: null, acceptPath: null, detail: EMAILED_DETAIL });
      return reply.status(201).send({ invite, emailed: false, link, acceptPath, detail: SEND_FAILED_DETAIL });
    }
    return reply.status(201).send({ invite, emailed: false, link, acceptPath, detail: config.smtp ? NO_PUBLIC_URL_DETAIL : NO_SMTP_DETAIL });
  });

  app.delete('/api/portal/team/invites/:id', {
    config: { allowsInactiveAccount: true },
    schema: { params: InviteParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const auth = requireSession(request, 'Withdraw invitations in the portal, not with an API key.');
    await revokeInvite(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });

  app.get('/api/portal/inbox/presence', { schema: { response: { 200: Type.Object({ items: Type.Array(PresenceView), nextCursor: Type.Null() }) } } }, async (request) => {
    const auth = requireAuth(request);
    const members = await listMembers(db, auth.customerId, auth.userId);
    return { items: members.map(({ userId, name, email, role, online, lastSeenAt }) => ({ userId, name, email, role, online, lastSeenAt })), nextCursor: null };
  });

  app.patch('/api/portal/account/profile', {
    schema: { body: ProfileBody, response: { 200: UserView } },
  }, async (request) => {
    const auth = requireSession(request, 'Set your display name in the portal, not with an API key.');
    if (!auth.userId) throw new AppError('session_required', 'Set your display name in the portal.');
    const user = await updateProfile(db, auth.customerId, auth.userId, request.body);
    void announce(auth.customerId);
    return toUserView(user);
  });

  app.get('/api/portal/account/memberships', {
    schema: { response: { 200: Type.Object({ items: Type.Array(Type.Object({ customerId: Type.String(), customerName: Type.String(), role: Type.String(), isCurrent: Type.Boolean() })), nextCursor: Type.Null() }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return { items: auth.userId ? await getMemberships(db, auth.customerId, auth.userId) : [], nextCursor: null };
  });

  app.post('/api/portal/account/switch', {
    config: { allowsInactiveAccount: true },
    schema: { body: Type.Object({ customerId: Type.String({ pattern: '^cus_[A-Za-z0-9_-]{8,40}$' }) }, { additionalProperties: false }), response: { 200: SessionReply } },
  }, async (request) => {
    const auth = requireSession(request, 'Switch accounts in the portal, not with an API key.');
    if (!auth.userId || !auth.sessionId) throw new AppError('session_required', 'Switch accounts in the portal.');
    const { user, customer } = await switchAccount(db, { userId: auth.userId, sessionId: auth.sessionId }, request.body.customerId);
    return { user: toUserView(user), customer: toCustomerView(customer), csrfToken: auth.csrfToken };
  });
}

/** Looking at and accepting an invitation: reachable without a session (the link is the credential). */
export function registerInviteRoutes(app: App, { config, database }: RouteDeps): void {
  const { db } = database;
  const tokenOf = (request: { body?: unknown }): string => {
    const token = (request.body as { token?: unknown } | undefined)?.token;
    return typeof token === 'string' ? hashToken(token) : '';
  };
  const lookupLimits = createRateLimits(app, [{ max: INVITE_LOOKUPS_PER_ADDRESS, timeWindow: '1 hour', keyGenerator: (request) => `invite-look-ip:${request.ip}` }]);
  // Accepting as an existing login checks its password: held to limits like login's, per link and per address.
  const acceptLimits = createRateLimits(app, [
    { max: INVITE_USES_PER_LINK, timeWindow: '15 minutes', keyGenerator: (request) => `invite-use:${tokenOf(request)}` },
    { max: INVITE_USES_PER_ADDRESS, timeWindow: '1 hour', keyGenerator: (request) => `invite-use-ip:${request.ip}` },
  ]);

  app.post('/api/portal/invites/inspect', { schema: { body: InspectInviteBody, response: { 200: InviteDetails } }, preHandler: lookupLimits }, async (request) => (
    inspectInvite(db, request.body.token)
  ));

  app.post('/api/portal/invites/accept', { schema: { body: AcceptInviteBody, response: { 200: AcceptedInvite } }, preHandler: acceptLimits }, async (request, reply) => {
    const { user, customer, session } = await acceptInvite(db, request.body, config.scryptLogN);
    // Like login: whoever was signed in in this browser before is signed out (no session fixation, no mix-up).
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) await logOut(db, previous);
    setSessionCookie(reply, session, config.cookieSecure);
    return { user: toUserView(user), customer: toCustomerView(customer), csrfToken: session.csrfToken };
  });
}
