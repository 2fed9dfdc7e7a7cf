import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import type { App, RouteDeps } from '../../http/types.js';
import { getStats } from './stats.service.js';

const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

const Counts = {
  conversations: Type.Integer(), leads: Type.Integer(), escalations: Type.Integer(), ratingsUp: Type.Integer(), ratingsDown: Type.Integer(),
};
const ModelCounts = {
  calls: Type.Integer(), answered: Type.Integer(), declined: Type.Integer(), failures: Type.Integer(), skipped: Type.Integer(), tokens: Type.Integer(),
};
const StatsReply = Type.Object({
  since: Type.String(),
  days: Type.Array(Type.Object({ date: Type.String(), ...Counts })),
  totals: Type.Object(Counts),
  /** The chatbots' language-model use: calls (answered, declined, failed), turns kept from the model by the daily token limit, tokens. */
  model: Type.Object({ days: Type.Array(Type.Object({ date: Type.String(), ...ModelCounts })), totals: Type.Object(ModelCounts) }),
  satisfaction: Type.Object({ count: Type.Integer(), average: Type.Union([Type.Number(), Type.Null()]) }),
});

/** GET /api/portal/stats: the dashboard's daily counts. */
export function registerStatsRoutes(app: App, { database }: RouteDeps): void {
  app.get('/api/portal/stats', {
    schema: {
      summary: 'Daily counts for the dashboard', description: 'Conversations, leads, escalations and ratings per UTC day, for all chatbots or one.', tags: ['Stats'],
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
