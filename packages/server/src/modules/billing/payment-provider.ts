/**
 * The one seam for taking payment. **No provider is wired in yet**: an account continues after its trial when
 * the operator runs `npm run admin -- activate <customer id or email>`. A provider (Stripe, Paddle, …) would
 * implement this interface and be passed to `buildApp`; the portal's Plan page then offers its checkout, and
 * the provider's own webhook — not this call — would mark the account active via `activateAccount`.
 */
export interface PaymentProvider {
  /** Shown in the portal, e.g. "Stripe". */
  readonly name: string;
  /** Starts a payment for the customer and answers where to send the browser. */
  startCheckout(customer: { id: string; name: string }, returnUrl: string): Promise<{ redirectUrl: string }>;
}
