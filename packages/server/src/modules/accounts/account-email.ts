import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../../config.js';
import type { MailerLog } from '../handoff/escalation-email.js';

/**
 * "You already have an account" e-mails: a signup with a registered address answers a generic problem (it must not
 * reveal that the address is registered), and the address's owner learns of it here instead. Sent from the API
 * process without waiting (the answer must not take longer when the address is known, nor fail when SMTP does);
 * a lost notice is logged and not retried. At most one per address an hour, so the signup form cannot be used to
 * flood someone's inbox.
 */
const NOTICE_INTERVAL_MS = 3_600_000;
const MAX_REMEMBERED_ADDRESSES = 10_000;
const SMTP_TIMEOUT_MS = 15_000;

export interface AccountMailer {
  /** Queues the notice for `email` unless one went out within the hour; never throws. */
  sendExistingAccountNotice(email: string): void;
  /** Sends a password-reset link; resolves when handed to the relay or the failure is logged, never rejects. */
  sendPasswordReset(email: string, link: string): Promise<void>;
  /** Sends an invitation link to join an account; resolves true once handed to the relay, false (logged) if not. */
  sendInvite(email: string, invite: { link: string; company: string; inviter: string | null; role: string; expiresAt: string }): Promise<boolean>;
  close(): void;
}

/** Builds the mailer the signup route uses when SMTP is configured. */
export function createAccountMailer(options: { smtp: SmtpConfig; publicUrl: string | null; log: MailerLog; now?: () => number }): AccountMailer {
  const { smtp, publicUrl, log } = options;
  const now = options.now ?? Date.now;
  const lastSentAt = new Map<string, number>();
  const transport = nodemailer.createTransport({
    host: smtp.host, port: smtp.port, secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS,
  });

  function isDue(email: string, at: number): boolean {
    const last = lastSentAt.get(email);
    if (last !== undefined && at - last < NOTICE_INTERVAL_MS) return false;
    if (lastSentAt.size >= MAX_REMEMBERED_ADDRESSES) {
      for (const [address, sentAt] of lastSentAt) if (at - sentAt >= NOTICE_INTERVAL_MS) lastSentAt.delete(address);
      // Still full of fresh entries: an abuser is cycling addresses; forget the oldest rather than grow.
      if (lastSentAt.size >= MAX_REMEMBERED_ADDRESSES) lastSentAt.delete(lastSentAt.keys().next().value ?? '');
    }
    lastSentAt.delete(email);
    lastSentAt.set(email, at);
    return true;
  }

  return {
    sendExistingAccountNotice(email) {
      if (!isDue(email, now())) return;
      const login = publicUrl ? `${publicUrl}/login` : 'the FusionChatalyst portal';
      const text = [
        'Someone, perhaps you, tried to sign up for FusionChatalyst with this e-mail address. It already has an account,',
        'so no new account was created and nothing was changed.',
        '',
        `If it was you, log in at ${login} instead.`,
        'If it was not you, you can ignore this e-mail.',
        '',
      ].join('\n');
      transport.sendMail({ from: smtp.from, to: email, subject: 'You already have a FusionChatalyst account', text }).then(
        () => log.info({}, 'existing-account notice sent'),
        (error: unknown) => log.warn({ err: error }, 'existing-account notice not sent'),
      );
    },
    async sendPasswordReset(email, link) {
      const text = [
        'Someone, perhaps you, asked to reset the password of your FusionChatalyst account.',
        '',
        `Choose a new password here (the link works once, within the hour): ${link}`,
        '',
        'Setting a new password signs you out everywhere. If you did not ask for this, ignore this e-mail: your password',
        'stays as it is.',
        '',
      ].join('\n');
      try {
        await transport.sendMail({ from: smtp.from, to: email, subject: 'Reset your FusionChatalyst password', text });
        log.info({}, 'password-reset e-mail sent');
      } catch (error) {
        log.warn({ err: error }, 'password-reset e-mail not sent');
      }
    },
    async sendInvite(email, invite) {
      const who = invite.inviter ? `${invite.inviter} invited you` : 'You are invited';
      const text = [
        `${who} to join ${invite.company} on FusionChatalyst as ${invite.role === 'owner' ? 'an owner' : 'an agent'}.`,
        '',
        `Accept here (the link works once, until ${invite.expiresAt}): ${invite.link}`,
        '',
        'If you already have a FusionChatalyst login with this e-mail address, you will be asked for its password; otherwise you',
        'choose one. If you did not expect this, ignore this e-mail.',
        '',
      ].join('\n');
      try {
        await transport.sendMail({ from: smtp.from, to: email, subject: `Join ${invite.company} on FusionChatalyst`, text });
        log.info({}, 'invitation e-mail sent');
        return true;
      } catch (error) {
        log.warn({ err: error }, 'invitation e-mail not sent');
        return false;
      }
    },
    close() {
      transport.close();
    },
  };
}
