import type { Webhook } from '../api/types';
import { formatRelative } from './format';

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
  if (hook.health.failingSince) {
    return { state: 'failing', label: 'Failing', detail: `Failing since ${formatRelative(hook.health.failingSince, now)}; ${hook.health.pending} waiting to retry.`, rank: 1 };
  }
  if (hook.health.pending > 0) return { state: 'pending', label: 'Sending', detail: `${hook.health.pending} delivery(ies) queued.`, rank: 2 };
  if (!hook.health.lastSuccessAt) return { state: 'new', label: 'Waiting for events', detail: 'No event delivered yet (test sends are not counted here).', rank: 3 };
  return { state: 'ok', label: 'Healthy', detail: 'Deliveries succeed.', rank: 4 };
}
