import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import type { App, RouteDeps } from '../../http/types.js';
import { getStats } from './stats.service.js';

const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

const Counts = {
  conversations: Type.Integer(), leads: Type.Integer(), escalations: Type.Integer(), ratingsUp: Type.Integer(), ratingsDown: Type.Integer(),
};
const StatsReply = Type.Object({
  since: Type.String(),
  days: Type.Array(Type.Object({ date: Type.String(), ...Counts })),
  totals: Type.Object(Counts),
  satisfaction: Type.Object({ count: Type.Integer(), average: Type.Union([Type.Number(), Type.Null()]) }),
});

/** GET /api/portal/stats: the dashboard's daily counts. */
export function registerStatsRoutes(app: App, { database }: RouteDeps): void {
  app.get('/api/portal/stats', {
    schema: {
      querystring: Type.Object({
        days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DAYS })),
        chatbotId: Type.Optional(Type.String({ maxLength: 64 })),
      }, { additionalProperties: false }),
      response: { 200: StatsReply },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return getStats(database.db, auth.customerId, { days: request.query.days ?? DEFAULT_DAYS, chatbotId: request.query.chatbotId });
  });
}
