import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { LiveBus } from '../live/live-bus.js';
import { PRESENCE_REFRESH_MS, closePresence, isSessionLive, openPresence, refreshPresence } from './team.service.js';

export interface PresenceDeps {
  db: Kysely<Database>;
  liveBus: LiveBus;
  log: FastifyBaseLogger;
}

/**
 * "Online in the inbox": an open inbox stream of a signed-in user is a row in `inbox_presence`, refreshed every
 * PRESENCE_REFRESH_MS while the stream stays open and deleted when it closes; colleagues' inboxes hear of each
 * change through the live bus (so across API processes with Redis). A process that dies leaves rows that stop
 * being refreshed and stop counting after PRESENCE_STALE_MS. Each refresh also checks that the session is still
 * alive, so the stream of someone signed out or removed from the team ends within one refresh.
 */
export async function trackInboxPresence(
  deps: PresenceDeps, who: { customerId: string; userId: string; sessionId: string | null }, onSessionEnded: () => void,
): Promise<{ stop(): void }> {
  const { db, liveBus, log } = deps;
  const announce = () => void liveBus.publishInbox({ customerId: who.customerId, conversationId: '', kind: 'presence' });
  const presenceId = await openPresence(db, who.customerId, who.userId);
  announce();
  let isStopped = false;
  const timer = setInterval(() => {
    void (async () => {
      if (who.sessionId !== null && !(await isSessionLive(db, who.sessionId))) {
        onSessionEnded();
        return;
      }
      await refreshPresence(db, presenceId);
    })().catch((error: unknown) => log.warn({ err: error }, 'inbox presence refresh failed'));
  }, PRESENCE_REFRESH_MS);
  timer.unref();
  return {
    stop() {
      if (isStopped) return;
      isStopped = true;
      clearInterval(timer);
      closePresence(db, presenceId).then(announce, (error: unknown) => log.warn({ err: error }, 'inbox presence not cleared'));
    },
  };
}
