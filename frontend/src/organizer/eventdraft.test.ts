import {describe, expect, it} from 'vitest';
import {TEST_NOW} from '../test-clock';
import {checkDraft, createBody, EMPTY_DRAFT, type EventDraft, formatMoneyInput, formParam, imageProblem, parseMoney, updateBody} from './eventdraft';
import {defaultRecurrence} from './rrule';

const GOOD: EventDraft = {
  ...EMPTY_DRAFT,
  title: 'Jazz night',
  category: 'music',
  venueId: 'v1',
  timezone: 'Europe/Paris',
  startsAt: '2026-03-10T19:00',
  endsAt: '2026-03-10T22:00',
};
const params = (d: Partial<EventDraft>) => checkDraft({...GOOD, ...d}).map((e) => e.param);

describe('the event form', () => {
  it('runs at the pinned clock', () => {
    expect(new Date().getTime()).toBe(TEST_NOW.getTime());
  });

  it('accepts a complete draft', () => {
    expect(checkDraft(GOOD)).toEqual([]);
  });

  it('mirrors the server’s rules, under its field names', () => {
    expect(params({title: '  '})).toEqual(['title']);
    expect(params({title: 'x'.repeat(201)})).toEqual(['title']);
    expect(params({description: 'x'.repeat(20_001)})).toEqual(['description']);
    expect(params({category: 'knitting'})).toEqual(['category']);
    expect(params({venueId: null})).toEqual(['venue_id']);
    expect(params({timezone: 'Mars/Olympus'})).toEqual(['timezone']);
    expect(params({endsAt: '2026-03-10T19:00'})).toEqual(['ends_at']); // end after start, not at it
    expect(params({endsAt: '2026-03-09T23:00'})).toEqual(['ends_at']);
    expect(params({startsAt: ''})).toEqual(['starts_at']);
    expect(params({priceMin: '12.50'})).toEqual(['currency']);
    expect(params({priceMin: '12.50', currency: 'EUR'})).toEqual([]);
    expect(params({priceMin: '12.505', currency: 'EUR'})).toEqual(['price_min']);
    expect(params({priceMin: '20', priceMax: '10', currency: 'EUR'})).toEqual(['price_max']);
    expect(params({priceMin: '-3', currency: 'EUR'})).toEqual(['price_min']);
    expect(params({priceMin: '12', currency: 'euro'})).toEqual(['currency']);
    expect(params({isFree: true, priceMin: '12'})).toEqual([]); // free: the price is not sent
    expect(params({capacity: '0'})).toEqual(['capacity']);
    expect(params({capacity: '2.5'})).toEqual(['capacity']);
    expect(params({capacity: '120'})).toEqual([]);
    // 02:30 on the night Paris springs forward does not exist: the server refuses it, so does the form.
    expect(params({startsAt: '2026-03-29T02:30', endsAt: '2026-03-29T05:00'})).toEqual(['starts_at']);
  });

  it('checks the recurrence with the rest', () => {
    const r = defaultRecurrence({year: 2026, month: 3, day: 10});
    expect(params({recurrence: r})).toEqual([]);
    expect(params({recurrence: {...r, byDay: []}})).toEqual(['recurrence.byday']);
    expect(params({recurrence: {...r, end: {kind: 'count', count: 9999}}})).toEqual(['recurrence.count']);
    expect(params({recurrence: {...r, exdates: ['2026-03-03']}})).toEqual(['recurrence.exdates']);
  });

  it('reads prices in the currency’s minor units', () => {
    expect(parseMoney('12.5', 'EUR')).toBe(1250);
    expect(parseMoney('12,50', 'EUR')).toBe(1250);
    expect(parseMoney('1200', 'JPY')).toBe(1200);
    expect(parseMoney('12.5', 'JPY')).toBeNull();
    expect(parseMoney('1.234', 'KWD')).toBe(1234);
    expect(parseMoney('abc', 'EUR')).toBeNull();
    expect(formatMoneyInput(1250, 'EUR')).toBe('12.50');
    expect(formatMoneyInput(1200, 'JPY')).toBe('1200');
    expect(formatMoneyInput(null, 'EUR')).toBe('');
  });

  it('makes the create body: local times with their zone, RRULE and exceptions', () => {
    const body = createBody({...GOOD, priceMin: '12.50', priceMax: '20', currency: 'eur', recurrence: {...defaultRecurrence({year: 2026, month: 3, day: 10}), exdates: ['2026-03-24']}}, 'org1');
    expect(body).toMatchObject({
      organizer_id: 'org1',
      venue_id: 'v1',
      title: 'Jazz night',
      starts_at: '2026-03-10T19:00:00',
      ends_at: '2026-03-10T22:00:00',
      timezone: 'Europe/Paris',
      price_min: 1250,
      price_max: 2000,
      currency: 'EUR',
      is_free: false,
      recurrence: {rrule: 'FREQ=WEEKLY;BYDAY=TU;COUNT=10', exdates: ['2026-03-24T19:00:00']},
    });
    expect('recurrence' in createBody(GOOD, 'org1')).toBe(false);
  });

  it('patches only what changed, times always with their zone', () => {
    expect(updateBody({...GOOD, title: 'Jazz nights'}, GOOD)).toEqual({title: 'Jazz nights'});
    expect(updateBody({...GOOD, endsAt: '2026-03-10T23:00'}, GOOD)).toEqual({starts_at: '2026-03-10T19:00:00', ends_at: '2026-03-10T23:00:00', timezone: 'Europe/Paris'});
    expect(updateBody(GOOD, GOOD)).toEqual({});
  });

  it('says what is wrong with an image before sending it', () => {
    expect(imageProblem({type: 'image/jpeg', size: 200_000})).toBeNull();
    expect(imageProblem({type: 'text/plain', size: 12})).toMatch(/not an image/);
    expect(imageProblem({type: 'image/png', size: 11 * 1048576})).toBe('This image is 11.0 MB; images can be up to 10 MB.');
  });

  it('maps server params onto the form', () => {
    expect(formParam('body.recurrence.rrule')).toBe('recurrence.rule');
    expect(formParam('recurrence.exdates.2')).toBe('recurrence.exdates');
    expect(formParam('ends_at')).toBe('ends_at');
    expect(formParam('recurrence.until')).toBe('recurrence.end');
    expect(formParam(null)).toBeNull();
  });
});
