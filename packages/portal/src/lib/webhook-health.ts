import type { Webhook } from '../api/types';
import { formatRelative, plural } from './format';

export interface HealthSummary {
  state: 'disabled' | 'failing' | 'pending' | 'ok' | 'new';
  label: string;
  detail: string;
  /** Sort order: problems first. */
  rank: number;
}

/** How a webhook is doing, in words; disabled and failing endpoints come first and say why. */
export function webhookHealth(hook: Pick<Webhook, 'enabled' | 'disabledReason' | 'health'>, now = Date.now()): HealthSummary {
  if (!hook.enabled) {
    return { state: 'disabled', label: 'Disabled', detail: hook.disabledReason ?? 'Turned off.', rank: 0 };
  }
  const retrying = hook.health.retrying ?? 0;
  const queued = hook.health.pending - retrying;
  // The delivery log's words: "queued" (pending) and "retrying"; a webhook with deliveries retrying is failing,
  // whatever page shows it.
  const waiting = [retrying > 0 ? `${plural(retrying, 'delivery', 'deliveries')} retrying` : '', queued > 0 ? `${queued} queued` : ''].filter(Boolean).join(', ');
  if (hook.health.failingSince) {
    return { state: 'failing', label: 'Failing', detail: `Failing since ${formatRelative(hook.health.failingSince, now)}${waiting ? `; ${waiting}` : ''}.`, rank: 1 };
  }
  if (retrying > 0) return { state: 'failing', label: 'Failing', detail: `${waiting[0]?.toUpperCase() ?? ''}${waiting.slice(1)} after failed attempts.`, rank: 1 };
  if (queued > 0) return { state: 'pending', label: 'Sending', detail: `${plural(queued, 'delivery', 'deliveries')} queued.`, rank: 2 };
  if (!hook.health.lastSuccessAt) return { state: 'new', label: 'Waiting for events', detail: 'No event delivered yet (test sends are not counted here).', rank: 3 };
  return { state: 'ok', label: 'Healthy', detail: 'Deliveries succeed.', rank: 4 };
}
