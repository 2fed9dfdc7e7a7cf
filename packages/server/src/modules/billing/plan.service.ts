import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { assertFound } from '../../lib/errors.js';
import { findCustomer } from '../accounts/accounts.repository.js';
import { toCustomerView, type CustomerView } from '../accounts/accounts.service.js';
import type { PaymentProvider } from './payment-provider.js';

/** What the portal's Account → Plan page shows: the account's standing and how it can continue. */
export interface PlanView {
  customer: CustomerView;
  /** The payment provider wired in, or null (today: none, the operator activates accounts). */
  paymentProvider: string | null;
  /** The operator command that activates this account. */
  activateCommand: string;
}

/** The account's plan: trial or active or cancelled, and how it continues after the trial. */
export async function getPlan(db: Kysely<Database>, customerId: string, provider: PaymentProvider | null): Promise<PlanView> {
  const customer = assertFound(await findCustomer(db, customerId), 'Account');
  return {
    customer: toCustomerView(customer),
    paymentProvider: provider?.name ?? null,
    activateCommand: `npm run admin -- activate ${customer.id}`,
  };
}
