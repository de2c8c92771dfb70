/**
 * The rules the attend, buy and my-tickets views follow, without the DOM: what "places left" says,
 * which tiers can be bought and how many, the hold's countdown, which test card pays, what an
 * order's status means to the buyer, and the tickets kept on the device for offline use.
 */

export type RsvpAnswer = 'going' | 'interested' | 'not_going';
export type RsvpStatus = RsvpAnswer | 'waitlisted';

export interface Rsvp {
  status: RsvpStatus | null;
  waitlist_position: number | null;
  places_left: number | null;
}

export interface Tier {
  id: string;
  event_id: string;
  name: string;
  price: number;
  currency: string;
  quota: number | null;
  sales_start: string | null;
  sales_end: string | null;
  max_per_order: number;
  places_left: number | null;
  sold_out: boolean;
}

export type OrderStatus = 'awaiting_payment' | 'paid' | 'expired' | 'cancelled' | 'failed' | 'refund_pending' | 'refunded' | 'flagged';

export interface Order {
  id: string;
  event_id: string;
  status: OrderStatus;
  amount: number;
  currency: string;
  expires_at: string;
  created_at: string;
  items: {tier_id: string; name: string; quantity: number; unit_price: number}[];
  payment: {provider: string | null; client_secret: string | null};
  tickets: {id: string; code: string}[];
}

export interface MyTicket {
  id: string;
  event_id: string;
  event_title: string;
  starts_at: string;
  ends_at: string;
  timezone: string;
  tier_name: string | null;
  order_id: string | null;
  issued_at: string;
  code: string;
  qr_svg: string;
  checked_in_at: string | null;
  door: string | null;
}

export interface PaymentsConfig {
  mode: 'elements' | 'test-cards' | 'off';
  publishable_key: string | null;
}

/** "12 places left", "1 place left", "Full"; '' when the event has no capacity (null). */
export function placesText(left: number | null, locale: string): string {
  if (left === null) return '';
  if (left <= 0) return 'Full';
  return `${new Intl.NumberFormat(locale).format(left)} ${left === 1 ? 'place' : 'places'} left`;
}

/** What the person's answer is, in words. */
export function rsvpText(rsvp: Pick<Rsvp, 'status' | 'waitlist_position'>): string {
  switch (rsvp.status) {
    case 'going':
      return 'You are going.';
    case 'interested':
      return 'You are interested.';
    case 'not_going':
      return 'You are not going.';
    case 'waitlisted':
      return rsvp.waitlist_position ? `You are on the waitlist: number ${rsvp.waitlist_position} in line.` : 'You are on the waitlist.';
    default:
      return '';
  }
}

/** The "Going" button's words: "Join waitlist" when no place is left (and the person holds none). */
export function goingLabel(rsvp: Rsvp): string {
  if (rsvp.status === 'going') return 'Going';
  if (rsvp.status === 'waitlisted') return 'On the waitlist';
  return rsvp.places_left === 0 ? 'Join waitlist' : 'Going';
}

export type TierState = 'on-sale' | 'not-yet' | 'ended' | 'sold-out';

/** Whether a tier can be bought at `now`: its sales window and its places. */
export function tierState(tier: Tier, now: Date): TierState {
  if (tier.sold_out || tier.places_left === 0) return 'sold-out';
  if (tier.sales_start && new Date(tier.sales_start) > now) return 'not-yet';
  if (tier.sales_end && new Date(tier.sales_end) <= now) return 'ended';
  return 'on-sale';
}

/** The most of a tier one order may hold: its maximum per order, and no more than the places left. */
export function maxQuantity(tier: Tier): number {
  const left = tier.places_left ?? Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(tier.max_per_order, left));
}

/** A quantity typed or stepped to, kept between 1 and the tier's maximum (0 when none can be had). */
export function clampQuantity(wanted: number, tier: Tier): number {
  const most = maxQuantity(tier);
  if (most === 0) return 0;
  if (!Number.isFinite(wanted)) return 1;
  return Math.min(most, Math.max(1, Math.trunc(wanted)));
}

/** Whole seconds left of a hold (never below 0). */
export function holdSecondsLeft(expiresAt: string, now: Date): number {
  const ms = new Date(expiresAt).getTime() - now.getTime();
  return Number.isFinite(ms) ? Math.max(0, Math.ceil(ms / 1000)) : 0;
}

/** "9:05" (minutes and seconds). */
export function countdownText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export type TestCard = 'pm_card_visa' | 'pm_card_chargeCustomerFail' | 'pm_card_visa_chargeDeclined';

/** Stripe's test card numbers that the offline payment fake knows, as the test payment method each stands for. */
const TEST_CARDS: Record<string, TestCard> = {
  '4242424242424242': 'pm_card_visa',
  '4000000000000341': 'pm_card_chargeCustomerFail',
  '4000000000000002': 'pm_card_visa_chargeDeclined',
};

/** The test payment method a typed card number stands for (spaces and dashes ignored), or null. */
export function testCardFor(number: string): TestCard | null {
  return TEST_CARDS[number.replace(/[\s-]/g, '')] ?? null;
}

export type OrderPhase = 'pay' | 'settling' | 'paid' | 'over' | 'refunded' | 'problem';

/**
 * Where an order stands for the buyer. `paymentSent`: the card was accepted and the webhook has not
 * yet settled the order, so "awaiting payment" then means "confirming".
 */
export function orderPhase(status: OrderStatus, paymentSent: boolean): OrderPhase {
  switch (status) {
    case 'awaiting_payment':
      return paymentSent ? 'settling' : 'pay';
    case 'paid':
      return 'paid';
    case 'expired':
    case 'cancelled':
    case 'failed':
      return 'over';
    case 'refund_pending':
    case 'refunded':
      return 'refunded';
    default:
      return 'problem';
  }
}

/** What the buyer reads when an order did not end with tickets. */
export function orderEndText(status: OrderStatus): string {
  switch (status) {
    case 'expired':
      return 'The places were held for you, but the time to pay ran out. Start again to buy.';
    case 'cancelled':
      return 'This order was cancelled.';
    case 'failed':
      return 'The payment did not go through. Nothing was charged.';
    case 'refund_pending':
    case 'refunded':
      return 'Your payment arrived after the last place was gone: it is being refunded in full.';
    case 'flagged':
      return 'Your payment needs a look from us. You will hear from us by email.';
    default:
      return '';
  }
}

/** Poll the order's status after paying: quickly at first, then less often; null to give up. */
export function pollDelayMs(attempt: number): number | null {
  if (attempt < 10) return 500;
  if (attempt < 40) return 2000;
  return null;
}

/** One key per purchase attempt: the same order if the request is sent again. */
export function idempotencyKey(random: () => string = () => crypto.randomUUID()): string {
  return `buy-${random()}`;
}

// ---- tickets kept on the device --------------------------------------------------------------

export const TICKETS_KEY = 'happenings.tickets';
/** At most this many tickets are kept (the newest). */
export const KEPT_TICKETS = 50;

export interface KeptTickets {
  account_id: string;
  saved_at: string;
  tickets: MyTicket[];
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const isTicket = (t: unknown): t is MyTicket => {
  if (typeof t !== 'object' || t === null) return false;
  const o = t as Record<string, unknown>;
  return ['id', 'event_id', 'event_title', 'starts_at', 'timezone', 'code', 'qr_svg'].every((k) => typeof o[k] === 'string') && String(o.qr_svg).startsWith('data:image/svg+xml');
};

export function keepTickets(store: Store, accountId: string, tickets: MyTicket[], now: Date): void {
  const kept: KeptTickets = {account_id: accountId, saved_at: now.toISOString(), tickets: tickets.slice(0, KEPT_TICKETS)};
  try {
    store.setItem(TICKETS_KEY, JSON.stringify(kept));
  } catch {
    // Storage full or refused (private mode): the page still works online.
  }
}

/** The kept tickets (of `accountId` when given), or null when there are none or they are unreadable. */
export function keptTickets(store: Store, accountId: string | null = null): KeptTickets | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(store.getItem(TICKETS_KEY) ?? 'null');
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const kept = parsed as Partial<KeptTickets>;
  if (typeof kept.account_id !== 'string' || typeof kept.saved_at !== 'string' || !Array.isArray(kept.tickets)) return null;
  if (accountId !== null && kept.account_id !== accountId) return null;
  return {account_id: kept.account_id, saved_at: kept.saved_at, tickets: kept.tickets.filter(isTicket)};
}

export function forgetTickets(store: Store): void {
  try {
    store.removeItem(TICKETS_KEY);
  } catch {
    // nothing kept
  }
}

/** Upcoming tickets first (soonest first), then past ones (latest first). */
export function orderTickets(tickets: MyTicket[], now: Date): {upcoming: MyTicket[]; past: MyTicket[]} {
  const end = (t: MyTicket) => Date.parse(t.ends_at || t.starts_at);
  const start = (t: MyTicket) => Date.parse(t.starts_at);
  const upcoming = tickets.filter((t) => end(t) >= now.getTime()).sort((a, b) => start(a) - start(b));
  const past = tickets.filter((t) => end(t) < now.getTime()).sort((a, b) => start(b) - start(a));
  return {upcoming, past};
}
