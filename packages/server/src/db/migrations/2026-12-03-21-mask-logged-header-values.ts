import type { Kysely } from 'kysely';

// Delivery attempts logged before 2026-12-03 kept the values of custom headers whose names did not look like
// credentials (`X-Client-Id`, `X-Hub`…). The log now keeps only the values FusionChatalyst sets itself; this
// masks the rows written before, so those values no longer sit in the table either (the API already masked them
// when read). The rule is copied here as it stood on this date: a migration must not change with later code.
const LOGGED_HEADER_NAMES = new Set(['content-type', 'x-fc-event', 'x-fc-delivery', 'webhook-id', 'webhook-timestamp', 'webhook-signature', ':method', ':path']);
const OUR_USER_AGENT = 'FusionChatalyst-Webhooks/1.0 (+https://fusionchatalyst.com)';
const REDACTED = '[redacted]';
const BATCH = 500;

interface AttemptRow {
  id: string;
  request_headers: string;
}

/** The masked JSON of one attempt's headers, or null when nothing changes (or the column is not a JSON object). */
export function maskLoggedHeaders(json: string): string | null {
  let headers: unknown;
  try {
    headers = JSON.parse(json);
  } catch {
    return null;
  }
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return null;
  let changed = false;
  const masked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    const keep = value === REDACTED || LOGGED_HEADER_NAMES.has(lower) || (lower === 'user-agent' && value === OUR_USER_AGENT);
    masked[name] = keep ? value : REDACTED;
    if (!keep) changed = true;
  }
  return changed ? JSON.stringify(masked) : null;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const attempts = db as unknown as Kysely<{ delivery_attempts: AttemptRow }>;
  let after = '';
  for (;;) {
    const rows = await attempts.selectFrom('delivery_attempts').select(['id', 'request_headers']).where('id', '>', after).orderBy('id').limit(BATCH).execute();
    for (const row of rows) {
      const masked = maskLoggedHeaders(row.request_headers);
      if (masked !== null) await attempts.updateTable('delivery_attempts').set({ request_headers: masked }).where('id', '=', row.id).execute();
    }
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) return;
    after = last.id;
  }
}

export async function down(): Promise<void> {
  // Masked values cannot be restored.
}
