import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { hashPassword } from '../../lib/crypto.js';
import { newId } from '../../lib/ids.js';
import { addMs, nowIso } from '../../lib/time.js';
import { createChatbot } from '../chatbots/chatbots.service.js';
import { importEntries } from '../knowledge/knowledge.service.js';

export const DEMO_EMAIL = 'demo@fusionchatalyst.local';
export const DEMO_PASSWORD = 'acme-demo-2026';
export const DEMO_CHATBOT_ID = 'bot_demoAcmePlumbing';

interface DemoKnowledge {
  business: { name: string; defaultPhoneRegion: string; locale: string };
  faqs: { question: string; answer: string }[];
  documents: { title: string; text: string }[];
}

function readDemoKnowledge(): DemoKnowledge {
  // Resolved from the compiled file too: the build copies nothing, so read the JSON beside the sources.
  const url = new URL('../../../src/modules/demo/acme-plumbing.knowledge.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as DemoKnowledge;
}

/** True when the demo account should be created now (FC_SEED_DEMO, default: on an empty database). */
export async function shouldSeedDemo(db: Kysely<Database>, setting: boolean | null): Promise<boolean> {
  if (setting === false) return false;
  if (await db.selectFrom('users').select('id').where('email', '=', DEMO_EMAIL).executeTakeFirst()) return false;
  if (setting === true) return true;
  return (await db.selectFrom('customers').select('id').limit(1).executeTakeFirst()) === undefined;
}

/** Creates the demo customer (active, no trial end), its login and the "Acme Plumbing" chatbot with its knowledge. */
export async function seedDemo(db: Kysely<Database>, secretKey: Buffer, scryptLogN: number): Promise<{ customerId: string; chatbotId: string }> {
  const knowledge = readDemoKnowledge();
  const now = nowIso();
  const customerId = newId('cus');
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('customers').values({
      id: customerId, name: 'Acme Plumbing (demo)', status: 'active', trial_ends_at: addMs(now, 7 * 86_400_000),
      created_at: now, updated_at: now, cancelled_at: null,
    }).execute();
    const userId = newId('usr');
    await trx.insertInto('users').values({
      id: userId, customer_id: customerId, email: DEMO_EMAIL, name: 'Demo Owner',
      password_hash: await hashPassword(DEMO_PASSWORD, scryptLogN), created_at: now,
    }).execute();
    await trx.insertInto('memberships').values({ customer_id: customerId, user_id: userId, role: 'owner', created_at: now }).execute();
  });
  const chatbot = await createChatbot(db, secretKey, customerId, {
    name: 'Acme Plumbing Bot',
    settings: {
      greeting: "Hi! I'm the Acme Plumbing assistant. Ask me about prices, hours or booking a plumber.",
      defaultPhoneRegion: knowledge.business.defaultPhoneRegion,
      locale: knowledge.business.locale,
      quickReplies: ['What are your hours?', 'How much is a service call?', 'Book a plumber'],
      appearance: { title: 'Acme Plumbing', color: '#0f766e', position: 'bottom-right', avatarUrl: null },
    },
  }, DEMO_CHATBOT_ID);
  await importEntries(db, customerId, chatbot.id, { faqs: knowledge.faqs, documents: knowledge.documents });
  return { customerId, chatbotId: chatbot.id };
}
