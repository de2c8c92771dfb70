/**
 * Buying tickets: the tier and the quantity, an order that holds the places while the buyer pays
 * (with a countdown), the payment, and the confirmation once Stripe's webhook has settled the
 * order. With a Stripe publishable key the card is taken by Stripe Elements (Stripe.js, loaded from
 * js.stripe.com only then); against the offline fake of Stripe a plain test-card form pays through
 * the server. The order's status is asked again until it is settled, never assumed.
 */
import {ApiError, getJson} from '../lib/api';
import {formatMoney} from '../lib/format';
import {h} from '../ui/dom';
import {errorText} from '../accounts/common';
import type {AttendDeps, AttendEvent} from './attend';
import {
  clampQuantity,
  countdownText,
  holdSecondsLeft,
  idempotencyKey,
  maxQuantity,
  type Order,
  orderEndText,
  orderPhase,
  type PaymentsConfig,
  pollDelayMs,
  testCardFor,
  type Tier,
  tierState,
} from './logic';

export interface PurchaseDeps extends AttendDeps {
  /** The purchase is over (paid or given up): places left are asked again. */
  onDone: () => void;
  /** Show the tiers again. */
  onChanged: () => void;
  /** The section the purchase takes over while an order is open. */
  section: HTMLElement;
}

interface StripeCard {
  mount(el: HTMLElement): void;
  destroy(): void;
}
interface StripeJs {
  elements(): {create(type: 'card'): StripeCard};
  confirmCardPayment(secret: string, data: {payment_method: {card: StripeCard}}): Promise<{error?: {message?: string}}>;
}
declare global {
  interface Window {
    Stripe?: (key: string) => StripeJs;
  }
}

let config: Promise<PaymentsConfig> | null = null;
const paymentsConfig = () => (config ??= getJson<PaymentsConfig>('/api/v1/payments/config').catch((e: unknown) => ((config = null), Promise.reject(e))));

let stripeJs: Promise<void> | null = null;
/** Stripe.js from Stripe's own address (it must never be bundled or served by us). */
function loadStripeJs(): Promise<void> {
  stripeJs ??= new Promise<void>((resolve, reject) => {
    const script = h('script', {src: 'https://js.stripe.com/v3/'});
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => {
      stripeJs = null;
      script.remove();
      reject(new Error('The card form could not be loaded. Check your connection and try again.'));
    });
    document.head.append(script);
  });
  return stripeJs;
}

export class Purchase {
  /** True while an order is open: the purchase shows in place of the tiers. */
  active = false;
  private order: Order | null = null;
  private key: string | null = null;
  private countdown: ReturnType<typeof setInterval> | undefined;
  private polling: ReturnType<typeof setTimeout> | undefined;
  private card: StripeCard | null = null;
  private disposed = false;
  private readonly quantity: HTMLInputElement;
  private readonly hint: HTMLElement;
  private readonly alert = h('p', {class: 'form-alert', role: 'alert', hidden: true});

  constructor(
    private readonly event: AttendEvent,
    private readonly tiers: Tier[],
    private readonly form: HTMLFormElement,
    private readonly deps: PurchaseDeps,
  ) {
    this.quantity = h('input', {type: 'number', id: 'buy-quantity', name: 'quantity', min: 1, value: 1, inputmode: 'numeric', 'aria-describedby': 'buy-quantity-hint'});
    this.hint = h('p', {class: 'field-hint', id: 'buy-quantity-hint'});
    const submit = h('button', {type: 'submit', class: 'btn btn-primary', id: 'buy-tickets'}, 'Buy tickets');
    form.append(h('div', {class: 'field'}, h('label', {for: 'buy-quantity'}, 'Quantity'), this.hint, this.quantity), this.alert, submit);
    const first = form.querySelector<HTMLInputElement>('input[name="tier"]:not(:disabled)');
    if (first) first.checked = true;
    form.addEventListener('change', () => this.limit());
    this.quantity.addEventListener('blur', () => this.limit());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.start(submit);
    });
    this.limit();
  }

  dispose(): void {
    this.disposed = true;
    this.stopTimers();
    this.card?.destroy();
  }

  /** The tier and quantity chosen before the tiers were drawn again (with fresh places left). */
  restore(tierId: string, quantity: string): void {
    const input = this.form.querySelector<HTMLInputElement>(`input[name="tier"][value="${CSS.escape(tierId)}"]:not(:disabled)`);
    if (!input) return;
    input.checked = true;
    this.quantity.value = quantity;
    this.limit();
  }

  private chosen(): Tier | null {
    const id = this.form.querySelector<HTMLInputElement>('input[name="tier"]:checked')?.value;
    return this.tiers.find((t) => t.id === id) ?? null;
  }

  private limit(): void {
    const tier = this.chosen();
    if (!tier) return;
    const most = maxQuantity(tier);
    this.quantity.max = String(most);
    this.quantity.value = String(clampQuantity(Number(this.quantity.value), tier));
    this.hint.textContent = most === tier.max_per_order ? `At most ${most} per order.` : `Only ${most} left.`;
  }

  private showAlert(text: string): void {
    this.alert.textContent = text;
    this.alert.hidden = !text;
  }

  /** Place the order: the places are held while the buyer pays. */
  private async start(button: HTMLButtonElement): Promise<void> {
    const tier = this.chosen();
    if (!tier || tierState(tier, new Date()) !== 'on-sale') return this.showAlert('Choose a ticket type that is on sale.');
    const quantity = clampQuantity(Number(this.quantity.value), tier);
    this.showAlert('');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    // The same key if this very attempt is sent again (a network failure): the same order, not two.
    this.key ??= idempotencyKey();
    try {
      const order = await this.deps.session.json<Order>('/api/v1/orders', {
        method: 'POST',
        headers: {'Content-Type': 'application/json', 'Idempotency-Key': this.key},
        body: JSON.stringify({event_id: this.event.id, items: [{tier_id: tier.id, quantity}]}),
      });
      this.key = null;
      this.opened(order);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 0) this.key = null;
      this.showAlert(error instanceof ApiError && error.status === 409 ? `${errorText(error)} Choose another ticket type or a smaller number.` : `The order could not be placed: ${errorText(error)}`);
      if (error instanceof ApiError && error.status === 409) this.deps.onDone();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  private opened(order: Order): void {
    this.order = order;
    this.active = true;
    if (order.status === 'paid') return this.confirmed(order);
    void this.payView(order);
  }

  // ---- paying ------------------------------------------------------------------------------

  private async payView(order: Order): Promise<void> {
    const received = performance.now();
    // The hold's length as the server counts it; elapsed time from this device's monotonic clock.
    const held = holdSecondsLeft(order.expires_at, new Date(order.created_at));
    const total = formatMoney(order.amount, order.currency, this.deps.locale);
    const lines = order.items.map((i) => h('li', {}, `${i.quantity} × ${i.name}`));
    const clock = h('p', {class: 'hold-countdown', id: 'hold-countdown'});
    const alert = h('p', {class: 'form-alert', role: 'alert', id: 'pay-error', hidden: true});
    const heading = h('h3', {id: 'attend-title', tabindex: '-1'}, 'Pay for your tickets');
    const cancel = h('button', {type: 'button', class: 'btn btn-link', id: 'cancel-order'}, 'Cancel the order');
    cancel.addEventListener('click', () => void this.cancel(cancel));
    const form = h('form', {class: 'pay-form', 'aria-label': 'Payment'});
    this.deps.section.replaceChildren(heading, h('ul', {class: 'order-lines'}, ...lines), h('p', {class: 'order-total'}, 'Total: ', h('strong', {}, total)), clock, form, alert, cancel);
    heading.focus();
    const tick = () => {
      const left = Math.max(0, held - Math.floor((performance.now() - received) / 1000));
      clock.textContent = `Your places are held for ${countdownText(left)}.`;
      if (left === 0) {
        this.stopTimers();
        void this.settle(order.id, false);
      }
    };
    tick();
    this.countdown = setInterval(tick, 1000);
    let mode: PaymentsConfig;
    try {
      mode = await paymentsConfig();
    } catch (error) {
      return this.payError(alert, `Payments could not be set up: ${errorText(error)}`);
    }
    if (mode.mode === 'test-cards') this.testCardForm(form, order, alert);
    else if (mode.mode === 'elements' && mode.publishable_key) await this.elementsForm(form, order, alert, mode.publishable_key);
    else this.payError(alert, 'Payments are not available on this server.');
  }

  private payError(alert: HTMLElement, text: string): void {
    alert.textContent = text;
    alert.hidden = !text;
  }

  private testCardForm(form: HTMLFormElement, order: Order, alert: HTMLElement): void {
    const field = (id: string, label: string, attrs: Record<string, string>) =>
      h('div', {class: 'field'}, h('label', {for: id}, label), h('input', {id, name: id, required: true, ...attrs}));
    const pay = h('button', {type: 'submit', class: 'btn btn-primary', id: 'pay-button'}, `Pay ${formatMoney(order.amount, order.currency, this.deps.locale)}`);
    form.append(
      h('p', {class: 'field-hint', id: 'test-card-hint'}, 'Test payments: card 4242 4242 4242 4242 pays; 4000 0000 0000 0341 is declined. Any future expiry date and any CVC.'),
      field('card-number', 'Card number', {inputmode: 'numeric', autocomplete: 'cc-number', 'aria-describedby': 'test-card-hint'}),
      h('div', {class: 'field-row'}, field('card-expiry', 'Expiry (MM/YY)', {autocomplete: 'cc-exp', placeholder: 'MM/YY'}), field('card-cvc', 'CVC', {inputmode: 'numeric', autocomplete: 'cc-csc'})),
      pay,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const number = (form.elements.namedItem('card-number') as HTMLInputElement).value;
      const card = testCardFor(number);
      if (!card) return this.payError(alert, 'Use one of the test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0341 is declined.');
      void this.sendTestPayment(order, card, pay, alert);
    });
  }

  private async sendTestPayment(order: Order, card: string, pay: HTMLButtonElement, alert: HTMLElement): Promise<void> {
    this.payError(alert, '');
    pay.disabled = true;
    pay.setAttribute('aria-busy', 'true');
    try {
      const answer = await this.deps.session.json<{status: string; decline: string | null}>(`/api/v1/orders/${order.id}/test-payment`, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({payment_method: card}),
      });
      if (answer.status === 'succeeded' || answer.status === 'processing') return this.paymentSent(order);
      this.declined(alert, answer.decline ?? 'The card was declined.', pay);
    } catch (error) {
      pay.disabled = false;
      pay.removeAttribute('aria-busy');
      this.payError(alert, `The payment could not be made: ${errorText(error)}`);
    }
  }

  /** A declined card: say so, and offer a new attempt (a new order: the fake cannot retry an intent). */
  private declined(alert: HTMLElement, reason: string, pay: HTMLButtonElement): void {
    this.payError(alert, `Your card was declined: ${reason} Nothing was charged.`);
    const again = h('button', {type: 'button', class: 'btn btn-secondary', id: 'pay-again'}, 'Try another card');
    again.addEventListener('click', () => void this.restart());
    pay.replaceWith(again);
    again.focus();
  }

  private async restart(): Promise<void> {
    const old = this.order;
    this.stopTimers();
    if (old) await this.deps.session.fetch(`/api/v1/orders/${old.id}/cancel`, {method: 'POST'}).catch(() => undefined);
    const tier = old?.items[0];
    try {
      const order = await this.deps.session.json<Order>('/api/v1/orders', {
        method: 'POST',
        headers: {'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey()},
        body: JSON.stringify({event_id: this.event.id, items: old?.items.map((i) => ({tier_id: i.tier_id, quantity: i.quantity})) ?? []}),
      });
      this.opened(order);
    } catch (error) {
      this.active = false;
      this.deps.onChanged();
      this.deps.notify(`${tier ? tier.name : 'The tickets'}: ${errorText(error)}`, 'error');
    }
  }

  private async elementsForm(form: HTMLFormElement, order: Order, alert: HTMLElement, key: string): Promise<void> {
    const mount = h('div', {class: 'card-element', id: 'card-element'});
    const pay = h('button', {type: 'submit', class: 'btn btn-primary', id: 'pay-button'}, `Pay ${formatMoney(order.amount, order.currency, this.deps.locale)}`);
    form.append(h('div', {class: 'field'}, h('span', {class: 'field-label'}, 'Card'), mount), pay);
    let stripe: StripeJs;
    try {
      await loadStripeJs();
      if (!window.Stripe) throw new Error('Stripe.js did not start.');
      stripe = window.Stripe(key);
    } catch (error) {
      return this.payError(alert, errorText(error));
    }
    if (this.disposed) return;
    const card = stripe.elements().create('card');
    card.mount(mount);
    this.card = card;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!order.payment.client_secret) return;
      pay.disabled = true;
      pay.setAttribute('aria-busy', 'true');
      this.payError(alert, '');
      void stripe.confirmCardPayment(order.payment.client_secret, {payment_method: {card}}).then((result) => {
        if (!result.error) return this.paymentSent(order);
        pay.disabled = false;
        pay.removeAttribute('aria-busy');
        this.payError(alert, `Your card was declined: ${result.error.message ?? 'no reason given'} Nothing was charged.`);
      });
    });
  }

  // ---- after paying ------------------------------------------------------------------------

  private paymentSent(order: Order): void {
    this.stopTimers();
    const heading = h('h3', {id: 'attend-title', tabindex: '-1'}, 'Confirming your payment…');
    this.deps.section.replaceChildren(heading, h('p', {role: 'status', 'aria-busy': 'true'}, 'Your payment was accepted. Your tickets come as soon as the payment is confirmed.'));
    heading.focus();
    void this.settle(order.id, true);
  }

  /** Ask for the order until it is settled (the webhook's work), then show the outcome. */
  private async settle(orderId: string, paymentSent: boolean, attempt = 0): Promise<void> {
    if (this.disposed) return;
    let order: Order;
    try {
      order = await this.deps.session.json<Order>(`/api/v1/orders/${orderId}`);
    } catch {
      order = this.order!;
    }
    this.order = order;
    const phase = orderPhase(order.status, paymentSent);
    if (phase === 'paid') return this.confirmed(order);
    if (phase === 'settling' || (phase === 'pay' && !paymentSent && attempt < 3)) {
      const wait = pollDelayMs(attempt);
      if (wait === null) return this.ended('Your payment is taking longer than usual to be confirmed. Your tickets will appear in My tickets once it is; you will not be charged twice.');
      this.polling = setTimeout(() => void this.settle(orderId, paymentSent, attempt + 1), wait);
      return;
    }
    this.ended(orderEndText(order.status) || 'This order is over.');
  }

  private confirmed(order: Order): void {
    this.stopTimers();
    const count = order.tickets.length;
    const heading = h('h3', {id: 'attend-title', tabindex: '-1'}, 'You have your tickets');
    const done = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Done');
    done.addEventListener('click', () => this.close());
    this.deps.section.replaceChildren(
      heading,
      h('p', {class: 'notice', role: 'status', id: 'order-confirmed'}, `Payment confirmed: ${count} ${count === 1 ? 'ticket' : 'tickets'} for ${this.event.title}.`),
      h('p', {}, h('a', {class: 'btn btn-primary', href: '#/tickets', id: 'see-tickets'}, 'See them in My tickets'), ' ', done),
    );
    heading.focus();
    this.deps.onDone();
  }

  private ended(text: string): void {
    this.stopTimers();
    const heading = h('h3', {id: 'attend-title', tabindex: '-1'}, 'No tickets this time');
    const back = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Back to the tickets');
    back.addEventListener('click', () => this.close());
    this.deps.section.replaceChildren(heading, h('p', {role: 'alert'}, text), back);
    heading.focus();
    this.deps.onDone();
  }

  private async cancel(button: HTMLButtonElement): Promise<void> {
    if (!this.order) return this.close();
    button.disabled = true;
    try {
      await this.deps.session.json<Order>(`/api/v1/orders/${this.order.id}/cancel`, {method: 'POST'});
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) {
        button.disabled = false;
        return this.deps.notify(`The order could not be cancelled: ${errorText(error)}`, 'error');
      }
    }
    this.deps.notify('Order cancelled: the places are free again.');
    this.close();
  }

  private close(): void {
    this.stopTimers();
    this.card?.destroy();
    this.card = null;
    this.order = null;
    this.active = false;
    this.deps.onChanged();
    this.deps.onDone();
  }

  private stopTimers(): void {
    clearInterval(this.countdown);
    clearTimeout(this.polling);
  }
}
