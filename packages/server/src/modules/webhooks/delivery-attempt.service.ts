import type { EventContext as StoredEventContext } from '@fc/contracts';
import type { Kysely } from 'kysely';
import type { Database, WebhooksTable } from '../../db/schema.js';
import { nowIso, toStoredTime } from '../../lib/time.js';
import {
  buildDeliveryRequest, computeNextAttempt, isEventType, redactHeaders, shouldDisableWebhook,
  type EventContext, type EventType, type SendResult, type WebhookSender,
} from '../delivery/index.js';
import {
  failWithoutAttempt, recordAttempt, releaseDelivery,
  type AttemptRecorder, type ClaimedDelivery, type DeliveryUpdate, type WebhookHealthUpdate,
} from './deliveries.repository.js';
import { isPresetSuccessStatus } from './presets.js';
import { openWebhookSecrets, readWebhookSettings } from './webhooks.repository.js';

export const GONE_REASON = 'The endpoint answered 410 Gone, which means "stop sending". Fix the URL, then re-enable the webhook.';
export const FAILING_REASON = 'Every delivery has failed for five days. Check the endpoint, then re-enable the webhook and recover the failed deliveries.';
/** A Zapier hook URL answering 410 means the Zap was turned off or deleted: the subscription is over for good. */
export const ZAPIER_GONE_REASON = 'Zapier unsubscribed: the hook answered 410 Gone (the Zap was turned off or deleted).';

/** What one non-HTTP destination did with a delivery. */
export type DestinationOutcome =
  | { sent: true; result: SendResult; requestHeaders: Record<string, string> }
  /** Not attempted (the destination's quota is spent): the delivery goes back to the queue, due at `retryAtMs`. */
  | { sent: false; retryAtMs: number };

/**
 * The extension point for destination kinds that are not signed HTTP webhooks (Google Sheets): the worker
 * hands their deliveries to this sender instead of building a webhook request. Attempts, retries, health
 * and the delivery log stay the same for every kind.
 */
export interface DestinationSender {
  /** Makes one attempt; must not throw for anything the remote side does. */
  send(claimed: ClaimedDelivery, signal?: AbortSignal): Promise<DestinationOutcome>;
  close(): Promise<void>;
}

export type DestinationKind = WebhooksTable['kind'];

export interface AttemptLog {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AttemptDeps {
  db: Kysely<Database>;
  secretKey: Buffer;
  sender: WebhookSender;
  /** FC_RETRY_SCHEDULE, or undefined for the default three days. */
  schedule: readonly number[] | undefined;
  log: AttemptLog;
  /** Aborted on shutdown: the attempt is abandoned and the delivery given back untouched. */
  signal?: AbortSignal;
  /** Called once the destination has answered, before the attempt is recorded (the worker frees the slot). */
  onSent?: (claimed: ClaimedDelivery) => void;
  /** Records attempts; the worker passes a group-committing recorder, the default writes one transaction each. */
  recordAttempt?: AttemptRecorder;
  /** Senders of non-webhook kinds; 'webhook' and 'zapier' deliveries are signed HTTP requests sent by `sender`. */
  destinations?: Partial<Record<DestinationKind, DestinationSender>>;
}

/** What one attempt came to, for the portal's "Send test". */
export interface AttemptSummary {
  status: 'succeeded' | 'retrying' | 'failed';
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string;
}

/** Turns a stored event payload into the context field mappings read from. */
export function toDeliveryContext(stored: StoredEventContext): EventContext {
  const conversation = stored.conversation;
  return {
    customer: stored.customer,
    // Every event but webhook.test belongs to a chatbot; a test for a customer without one has no chatbot name.
    chatbot: stored.chatbot ?? { id: '', name: '' },
    conversation: conversation ? {
      id: conversation.id, intent: conversation.intent, startedAt: conversation.startedAt, messageCount: conversation.messageCount,
      firstMessage: conversation.firstMessage, transcript: conversation.transcript ?? [], summary: conversation.summary ?? null,
    } : null,
    visitor: stored.visitor ?? null,
    lead: stored.lead ? { ...stored.lead, id: stored.lead.id ?? '' } : null,
    escalation: stored.escalation ?? null,
    rating: stored.rating ?? null,
    satisfaction: stored.satisfaction ?? null,
  };
}

function decideNextState(claimed: ClaimedDelivery, result: SendResult, schedule: readonly number[] | undefined, finishedAt: string): DeliveryUpdate {
  const { delivery } = claimed;
  if (result.outcome === 'success') {
    return { status: 'succeeded', nextAttemptAt: null, lastStatusCode: result.statusCode, lastError: null, completedAt: finishedAt };
  }
  // The schedule restarts after a re-send: count attempts since then.
  const seriesAttempt = delivery.attempts + 1 - delivery.attempt_base;
  const limitReached = delivery.retry_limit !== null && seriesAttempt >= delivery.retry_limit;
  const delayMs = result.outcome === 'retry' && !limitReached
    ? computeNextAttempt({ attemptNumber: seriesAttempt, schedule, retryAfterMs: result.retryAfterMs })
    : null;
  if (delayMs === null) {
    return { status: 'failed', nextAttemptAt: null, lastStatusCode: result.statusCode, lastError: result.errorMessage, completedAt: finishedAt };
  }
  return { status: 'retrying', nextAttemptAt: toStoredTime(Date.now() + delayMs), lastStatusCode: result.statusCode, lastError: result.errorMessage, completedAt: null };
}

function decideHealth(claimed: ClaimedDelivery, result: SendResult, finishedAt: string): WebhookHealthUpdate | null {
  // A test send says nothing about the endpoint's real traffic: it neither heals nor disables a webhook.
  if (claimed.delivery.event_type === 'webhook.test') return null;
  const failed = result.outcome !== 'success';
  let disableReason: string | null = null;
  if (result.outcome === 'gone') disableReason = claimed.webhook.kind === 'zapier' ? ZAPIER_GONE_REASON : GONE_REASON;
  else if (failed && shouldDisableWebhook({ firstFailureAt: claimed.webhook.failing_since ?? finishedAt, lastSuccessAt: claimed.webhook.last_success_at, now: finishedAt })) {
    disableReason = FAILING_REASON;
  }
  return { succeeded: !failed, at: finishedAt, disableReason };
}

/** Webhooks and Zapier hooks: the signed HTTP request built from the stored event, sent by the pooled sender. */
async function sendSignedRequest(deps: AttemptDeps, claimed: ClaimedDelivery, startedAtMs: number): Promise<DestinationOutcome> {
  const { delivery, webhook, event } = claimed;
  const settings = readWebhookSettings(webhook);
  const { secrets, headers } = openWebhookSecrets(deps.secretKey, webhook, toStoredTime(startedAtMs));
  const request = buildDeliveryRequest({
    webhook: { url: settings.url, signingMode: settings.signingMode, secrets, bodyFormat: settings.bodyFormat, mappings: settings.mappings, headers },
    event: { id: event.id, type: event.type as EventType, occurredAt: event.created_at, context: toDeliveryContext(JSON.parse(event.payload) as StoredEventContext) },
    deliveryId: delivery.id,
    now: startedAtMs,
  });
  const result = await deps.sender.send({ url: request.url, headers: request.headers, body: request.body, concurrencyKey: webhook.id, signal: deps.signal });
  return { sent: true, result, requestHeaders: redactHeaders(request.headers) };
}

/**
 * Makes one attempt of a delivery this caller has leased: builds the signed request from the stored event
 * and sends it (or hands it to its kind's destination sender), and records the attempt with the delivery's next state and the webhook's health in one
 * transaction. Returns null when the attempt did not happen (shutdown, or a request we could not build).
 */
export async function attemptDelivery(deps: AttemptDeps, claimed: ClaimedDelivery, owner: string): Promise<AttemptSummary | null> {
  const { db, log } = deps;
  const { delivery, webhook, event } = claimed;
  const startedAtMs = Date.now();
  const startedAt = toStoredTime(startedAtMs);
  let outcome: DestinationOutcome;
  try {
    if (!isEventType(event.type)) throw new Error(`unknown event type ${event.type}`);
    const destination = deps.destinations?.[webhook.kind];
    if (destination) outcome = await destination.send(claimed, deps.signal);
    else if (webhook.kind === 'sheets') throw new Error('this process has no Google Sheets sender');
    else outcome = await sendSignedRequest(deps, claimed, startedAtMs);
  } catch (error) {
    // Only our own data fails here (a stored secret that no longer opens, a corrupt payload): retrying cannot
    // help, so the delivery fails now with the reason shown, and can be re-sent once it is fixed.
    log.error({ err: error, deliveryId: delivery.id }, 'could not build the delivery request');
    await failWithoutAttempt(db, delivery.id, owner, 'FusionChatalyst could not prepare this delivery (internal error).', nowIso());
    return null;
  }
  if (!outcome.sent) {
    await releaseDelivery(db, delivery.id, owner, toStoredTime(outcome.retryAtMs));
    return null;
  }
  const { requestHeaders } = outcome;
  // A CRM preset may say "already done" with a non-2xx status (HubSpot: 409 for an existing contact).
  const result: SendResult = isPresetSuccessStatus(webhook.preset, outcome.result.statusCode)
    ? { ...outcome.result, outcome: 'success', errorClass: null, errorMessage: null }
    : outcome.result;
  // The destination has answered: its concurrency slot can serve the next delivery while this one is recorded.
  deps.onSent?.(claimed);

  if (result.errorClass === 'aborted') {
    // Shutting down mid-send: give the delivery back untouched; a worker sends it again (at-least-once).
    await releaseDelivery(db, delivery.id, owner, delivery.next_attempt_at ?? startedAt);
    return null;
  }

  const finishedAt = nowIso();
  const update = decideNextState(claimed, result, deps.schedule, finishedAt);
  const health = decideHealth(claimed, result, finishedAt);
  const record = deps.recordAttempt ?? ((...args: Parameters<AttemptRecorder>) => recordAttempt(db, ...args));
  const kept = await record(claimed, owner, {
    attemptNumber: delivery.attempts + 1, startedAt, statusCode: result.statusCode, latencyMs: result.latencyMs, outcome: result.outcome,
    errorClass: result.errorClass, errorMessage: result.errorMessage, requestHeaders, responseExcerpt: result.responseExcerpt || null,
  }, update, health);
  if (!kept) log.warn({ deliveryId: delivery.id }, 'the lease expired before the attempt was recorded; another worker owns the delivery now');
  if (health?.disableReason) log.warn({ webhookId: webhook.id, reason: health.disableReason }, 'webhook disabled');
  return { status: update.status === 'succeeded' ? 'succeeded' : update.status === 'retrying' ? 'retrying' : 'failed', statusCode: result.statusCode, latencyMs: result.latencyMs, error: result.errorMessage, responseExcerpt: result.responseExcerpt };
}
