import {describe, expect, it} from 'vitest';
import {
  clampQuantity,
  countdownText,
  forgetTickets,
  goingLabel,
  holdSecondsLeft,
  idempotencyKey,
  keepTickets,
  keptTickets,
  KEPT_TICKETS,
  maxQuantity,
  type MyTicket,
  orderEndText,
  orderPhase,
  orderTickets,
  placesText,
  pollDelayMs,
  rsvpText,
  testCardFor,
  type Tier,
  tierState,
  TICKETS_KEY,
} from './logic';

const tier = (fields: Partial<Tier> = {}): Tier => ({
  id: 't1',
  event_id: 'e1',
  name: 'Standard',
  price: 2500,
  currency: 'EUR',
  quota: 100,
  sales_start: null,
  sales_end: null,
  max_per_order: 4,
  places_left: 12,
  sold_out: false,
  ...fields,
});

const ticket = (id: string, starts: string, ends = starts): MyTicket => ({
  id,
  event_id: 'e1',
  event_title: `Event ${id}`,
  starts_at: starts,
  ends_at: ends,
  timezone: 'Europe/Paris',
  tier_name: null,
  order_id: null,
  issued_at: starts,
  code: `HT1.${id}`,
  qr_svg: 'data:image/svg+xml;base64,PHN2Zy8+',
  checked_in_at: null,
  door: null,
});

class MemoryStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

describe('places and answers', () => {
  it('says how many places are left', () => {
    expect(placesText(12, 'en')).toBe('12 places left');
    expect(placesText(1, 'en')).toBe('1 place left');
    expect(placesText(0, 'en')).toBe('Full');
    expect(placesText(1200, 'en')).toBe('1,200 places left');
    expect(placesText(null, 'en')).toBe('');
  });

  it('offers the waitlist when no place is left', () => {
    expect(goingLabel({status: null, waitlist_position: null, places_left: 3})).toBe('Going');
    expect(goingLabel({status: null, waitlist_position: null, places_left: 0})).toBe('Join waitlist');
    expect(goingLabel({status: 'going', waitlist_position: null, places_left: 0})).toBe('Going');
    expect(goingLabel({status: 'waitlisted', waitlist_position: 2, places_left: 0})).toBe('On the waitlist');
  });

  it('tells the waitlist position', () => {
    expect(rsvpText({status: 'waitlisted', waitlist_position: 3})).toBe('You are on the waitlist: number 3 in line.');
    expect(rsvpText({status: 'going', waitlist_position: null})).toBe('You are going.');
    expect(rsvpText({status: null, waitlist_position: null})).toBe('');
  });
});

describe('tiers', () => {
  const now = new Date('2026-03-29T19:15:00Z');

  it('are on sale inside their window with places left', () => {
    expect(tierState(tier(), now)).toBe('on-sale');
    expect(tierState(tier({sales_start: '2026-04-01T00:00:00Z'}), now)).toBe('not-yet');
    expect(tierState(tier({sales_end: '2026-03-29T19:15:00Z'}), now)).toBe('ended');
    expect(tierState(tier({sold_out: true}), now)).toBe('sold-out');
    expect(tierState(tier({places_left: 0}), now)).toBe('sold-out');
  });

  it('bound the quantity by the maximum per order and the places left', () => {
    expect(maxQuantity(tier())).toBe(4);
    expect(maxQuantity(tier({places_left: 2}))).toBe(2);
    expect(maxQuantity(tier({places_left: null}))).toBe(4);
    expect(clampQuantity(9, tier())).toBe(4);
    expect(clampQuantity(0, tier())).toBe(1);
    expect(clampQuantity(2.7, tier())).toBe(2);
    expect(clampQuantity(Number.NaN, tier())).toBe(1);
    expect(clampQuantity(3, tier({places_left: 0}))).toBe(0);
  });
});

describe('the hold and the payment', () => {
  it('counts down the hold', () => {
    const now = new Date('2026-03-29T19:15:00Z');
    expect(holdSecondsLeft('2026-03-29T19:25:00Z', now)).toBe(600);
    expect(holdSecondsLeft('2026-03-29T19:14:00Z', now)).toBe(0);
    expect(holdSecondsLeft('not a date', now)).toBe(0);
    expect(countdownText(545)).toBe('9:05');
    expect(countdownText(0)).toBe('0:00');
  });

  it('knows the test cards', () => {
    expect(testCardFor('4242 4242 4242 4242')).toBe('pm_card_visa');
    expect(testCardFor('4000-0000-0000-0341')).toBe('pm_card_chargeCustomerFail');
    expect(testCardFor('4000000000000002')).toBe('pm_card_visa_chargeDeclined');
    expect(testCardFor('5555 5555 5555 4444')).toBeNull();
  });

  it('waits for the webhook after paying', () => {
    expect(orderPhase('awaiting_payment', false)).toBe('pay');
    expect(orderPhase('awaiting_payment', true)).toBe('settling');
    expect(orderPhase('paid', true)).toBe('paid');
    expect(orderPhase('expired', false)).toBe('over');
    expect(orderPhase('refunded', true)).toBe('refunded');
    expect(orderPhase('flagged', true)).toBe('problem');
    expect(orderEndText('expired')).toMatch(/time to pay ran out/);
    expect(orderEndText('paid')).toBe('');
  });

  it('polls quickly, then less often, then gives up', () => {
    expect(pollDelayMs(0)).toBe(500);
    expect(pollDelayMs(10)).toBe(2000);
    expect(pollDelayMs(40)).toBeNull();
  });

  it('makes a new idempotency key per attempt', () => {
    expect(idempotencyKey(() => 'abc')).toBe('buy-abc');
    expect(idempotencyKey()).not.toBe(idempotencyKey());
  });
});

describe('tickets kept on the device', () => {
  it('keeps, reads and forgets them, per account', () => {
    const store = new MemoryStore();
    keepTickets(store, 'me', [ticket('a', '2026-04-01T18:00:00Z')], new Date('2026-03-29T19:15:00Z'));
    expect(keptTickets(store)?.tickets.map((t) => t.id)).toEqual(['a']);
    expect(keptTickets(store, 'me')?.saved_at).toBe('2026-03-29T19:15:00.000Z');
    expect(keptTickets(store, 'someone else')).toBeNull();
    forgetTickets(store);
    expect(keptTickets(store)).toBeNull();
  });

  it('keeps a bounded number, and drops what is not a ticket', () => {
    const store = new MemoryStore();
    const many = Array.from({length: KEPT_TICKETS + 5}, (_, i) => ticket(String(i), '2026-04-01T18:00:00Z'));
    keepTickets(store, 'me', many, new Date());
    expect(keptTickets(store)?.tickets).toHaveLength(KEPT_TICKETS);
    store.setItem(TICKETS_KEY, JSON.stringify({account_id: 'me', saved_at: 'x', tickets: [{id: 'x', qr_svg: 'javascript:alert(1)'}]}));
    expect(keptTickets(store)?.tickets).toEqual([]);
    store.setItem(TICKETS_KEY, '{not json');
    expect(keptTickets(store)).toBeNull();
  });

  it('lists upcoming tickets soonest first, then past ones', () => {
    const now = new Date('2026-03-29T19:15:00Z');
    const {upcoming, past} = orderTickets(
      [ticket('late', '2026-05-01T18:00:00Z'), ticket('old', '2026-01-01T18:00:00Z'), ticket('soon', '2026-03-30T18:00:00+02:00'), ticket('older', '2025-01-01T18:00:00Z')],
      now,
    );
    expect(upcoming.map((t) => t.id)).toEqual(['soon', 'late']);
    expect(past.map((t) => t.id)).toEqual(['old', 'older']);
  });
});
