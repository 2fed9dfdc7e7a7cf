import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { activateAccount, toCustomerView } from '../modules/accounts/accounts.service.js';

const USAGE = 'Usage: npm run admin -- activate <customer id or email>';

/** `npm run admin -- activate <customer id or email>`: operator commands. */
async function run(args: string[]): Promise<void> {
  const [command, target] = args;
  if (command !== 'activate' || !target) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const customer = toCustomerView(await activateAccount(database.db, target));
    console.log(`Activated ${customer.id} (${customer.name}): status ${customer.status}`);
  } finally {
    await database.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
