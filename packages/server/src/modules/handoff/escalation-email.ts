import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { newId } from '../../lib/ids.js';
import { nowIso, toStoredTime } from '../../lib/time.js';

/**
 * "New escalation" e-mails to the customer's portal users. The row is written in the escalation's own
 * transaction (an outbox, like webhook events), and the delivery worker sends it over SMTP, retrying with
 * back-off; every failure is logged with the escalation id, and a row that runs out of attempts stays in
 * the table as `failed` with its last error, so nothing is lost silently.
 */
const RETRY_DELAYS_MS = [10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
const LEASE_MS = 60_000;
const CLAIM_BATCH = 20;
const SMTP_TIMEOUT_MS = 15_000;
const LAST_MESSAGE_PREVIEW_CHARS = 500;

type Executor = Kysely<Database> | Transaction<Database>;

/** Queues the e-mail for a new (or reopened) escalation; call it inside the escalation's transaction. */
export async function enqueueEscalationEmail(trx: Executor, input: { customerId: string; escalationId: string }): Promise<void> {
  await trx.insertInto('escalation_emails').values({
    id: newId('eml'), customer_id: input.customerId, escalation_id: input.escalationId, status: 'pending', attempts: 0,
    next_attempt_at: nowIso(), lease_owner: null, lease_expires_at: null, last_error: null, recipients: null, created_at: nowIso(), sent_at: null,
  }).execute();
}

export interface MailerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EscalationMailer {
  /** Sends every due e-mail once; returns how many were attempted. */
  runOnce(): Promise<number>;
  close(): void;
}

interface Composed {
  to: string[];
  subject: string;
  text: string;
}

const REASONS: Record<string, string> = {
  requested_human: 'asked for a person', anger: 'is unhappy with the answers', complaint: 'has a complaint', legal: 'mentioned legal action',
  keyword: 'used one of your escalation keywords', urgent: 'may need urgent help', repeated_failed_answers: 'did not get an answer several times',
};

async function compose(db: Kysely<Database>, customerId: string, escalationId: string, publicUrl: string | null): Promise<Composed | null> {
  const escalation = await db.selectFrom('escalations')
    .innerJoin('chatbots', 'chatbots.id', 'escalations.chatbot_id')
    .leftJoin('leads', 'leads.conversation_id', 'escalations.conversation_id')
    .select(['escalations.id', 'escalations.conversation_id', 'escalations.reason', 'escalations.last_message', 'chatbots.name as chatbot_name', 'leads.name', 'leads.email', 'leads.phone'])
    .where('escalations.id', '=', escalationId).where('escalations.customer_id', '=', customerId)
    .executeTakeFirst();
  if (!escalation) return null;
  const conversation = await db.selectFrom('conversations').select(['state']).where('id', '=', escalation.conversation_id).executeTakeFirst();
  // The lead row exists once its details are complete; before that the engine's state holds what is known.
  const known = (conversation ? (JSON.parse(conversation.state) as { lead?: Record<string, string | null> }).lead : undefined) ?? {};
  // Every member of the account, owners and agents alike: agents are the ones who answer escalations.
  const users = await db.selectFrom('users').innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select(['users.email']).where('memberships.customer_id', '=', customerId).orderBy('memberships.created_at').execute();
  const who = escalation.name ?? known.name ?? 'A visitor';
  const lines = [
    `${who} ${REASONS[escalation.reason] ?? `escalated (${escalation.reason})`} in a chat with ${escalation.chatbot_name}.`,
    '',
    `Last message: ${(escalation.last_message ?? '').slice(0, LAST_MESSAGE_PREVIEW_CHARS)}`,
    `Name: ${escalation.name ?? known.name ?? '—'}`,
    `Email: ${escalation.email ?? known.email ?? '—'}`,
    `Phone: ${escalation.phone ?? known.phone ?? '—'}`,
    '',
    publicUrl ? `Answer in the inbox: ${publicUrl}/inbox?conversation=${escalation.conversation_id}` : `Answer in the portal's Inbox (conversation ${escalation.conversation_id}).`,
  ];
  return { to: users.map((u) => u.email), subject: `New escalation from ${who} (${escalation.chatbot_name})`, text: `${lines.join('\n')}\n` };
}

/** Builds the sender the delivery worker runs next to webhook delivery. */
export function createEscalationMailer(options: { db: Kysely<Database>; smtp: SmtpConfig; publicUrl: string | null; log: MailerLog }): EscalationMailer {
  const { db, smtp, log } = options;
  const owner = `mailer:${randomBytes(4).toString('hex')}`;
  const transport = nodemailer.createTransport({
    host: smtp.host, port: smtp.port, secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS,
  });

  async function attempt(row: { id: string; customer_id: string; escalation_id: string; attempts: number }): Promise<void> {
    const now = Date.now();
    // A lease: another worker (or this one, on an overlapping run) skips the row while it is being sent.
    const claimed = await db.updateTable('escalation_emails')
      .set({ lease_owner: owner, lease_expires_at: toStoredTime(now + LEASE_MS) })
      .where('id', '=', row.id).where('status', '=', 'pending')
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', toStoredTime(now))]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return;
    const attempts = row.attempts + 1;
    try {
      const mail = await compose(db, row.customer_id, row.escalation_id, options.publicUrl);
      if (!mail || mail.to.length === 0) {
        await db.updateTable('escalation_emails').set({ status: 'failed', attempts, last_error: mail ? 'The account has no users to notify.' : 'The escalation no longer exists.', lease_owner: null, lease_expires_at: null })
          .where('id', '=', row.id).execute();
        log.warn({ escalationId: row.escalation_id }, 'escalation e-mail not sent: nobody to send it to');
        return;
      }
      await transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
      await db.updateTable('escalation_emails')
        .set({ status: 'sent', attempts, sent_at: nowIso(), recipients: JSON.stringify(mail.to), last_error: null, lease_owner: null, lease_expires_at: null })
        .where('id', '=', row.id).execute();
      log.info({ escalationId: row.escalation_id, recipients: mail.to.length }, 'escalation e-mail sent');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const delay = RETRY_DELAYS_MS[attempts - 1];
      const isFinal = delay === undefined;
      await db.updateTable('escalation_emails')
        .set({
          status: isFinal ? 'failed' : 'pending', attempts, last_error: message.slice(0, 500), lease_owner: null, lease_expires_at: null,
          next_attempt_at: isFinal ? null : toStoredTime(Date.now() + delay),
        })
        .where('id', '=', row.id).execute();
      log.error({ escalationId: row.escalation_id, attempts, err: error }, isFinal ? 'escalation e-mail failed for good' : 'escalation e-mail failed; will retry');
    }
  }

  return {
    async runOnce() {
      const due = await db.selectFrom('escalation_emails').select(['id', 'customer_id', 'escalation_id', 'attempts'])
        .where('status', '=', 'pending').where('next_attempt_at', '<=', nowIso()).orderBy('next_attempt_at').limit(CLAIM_BATCH).execute();
      for (const row of due) await attempt(row);
      return due.length;
    },
    close() {
      transport.close();
    },
  };
}
