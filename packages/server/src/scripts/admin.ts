import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { newToken } from '../lib/crypto.js';
import { activateAccount, setPasswordByAdmin, toCustomerView } from '../modules/accounts/accounts.service.js';

const USAGE = [
  'Usage: npm run admin -- activate <customer id or email>',
  '       npm run admin -- reset-password <email>   (sets a new random password, prints it once, ends every session)',
].join('\n');
const GENERATED_PASSWORD_BYTES = 15;

/** `npm run admin -- activate <customer id or email>` and `reset-password <email>`: operator commands. */
async function run(args: string[]): Promise<void> {
  const [command, target] = args;
  if ((command !== 'activate' && command !== 'reset-password') || !target) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    if (command === 'reset-password') {
      // For servers without SMTP, where the portal cannot e-mail a reset link: the operator hands this on.
      const password = newToken(GENERATED_PASSWORD_BYTES);
      const user = await setPasswordByAdmin(database.db, target, password, config.scryptLogN);
      console.log(`New password for ${user.email}: ${password}\nEvery session of this user has ended; ask them to change it under Account after logging in.`);
      return;
    }
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
