import {describe, expect, it} from 'vitest';
import {currencyDigits, eventLocalDate, formatDistance, formatEventRange, formatEventStart, formatPrice, formatTimeOfDay} from './format';

describe('dates in the event time zone', () => {
  const start = '2025-11-28T18:30:00Z';

  it('shows the local time of the event, not of the viewer', () => {
    expect(formatEventStart(start, 'Europe/Paris', 'en-GB', 'Europe/Paris')).toBe('Fri 28 Nov, 19:30');
    expect(formatTimeOfDay(start, 'America/New_York', 'en-GB')).toBe('13:30');
  });

  it('names the zone when the viewer is elsewhere', () => {
    expect(formatEventStart(start, 'Europe/Paris', 'en-GB', 'America/New_York')).toBe('Fri 28 Nov, 19:30 CET');
  });

  it('collapses a same-day end and keeps a next-day end', () => {
    expect(formatEventRange(start, '2025-11-28T22:00:00Z', 'Europe/Paris', 'en-GB', 'Europe/Paris')).toBe(
      'Fri 28 Nov, 19:30 – 23:00',
    );
    expect(formatEventRange(start, '2025-11-29T01:00:00Z', 'Europe/Paris', 'en-GB', 'Europe/Paris')).toBe(
      'Fri 28 Nov, 19:30 – Sat 29 Nov, 2:00',
    );
  });

  it('places an event on its own local date', () => {
    // 23:30 UTC on the 28th is already the 29th in Tokyo and still the 28th in Los Angeles.
    expect(eventLocalDate('2025-11-28T23:30:00Z', 'Asia/Tokyo')).toEqual({year: 2025, month: 11, day: 29});
    expect(eventLocalDate('2025-11-28T23:30:00Z', 'America/Los_Angeles')).toEqual({year: 2025, month: 11, day: 28});
  });

  it('survives an unknown zone', () => {
    expect(formatEventStart(start, 'Mars/Olympus', 'en-GB', 'UTC')).toBe('Fri 28 Nov, 18:30');
  });
});

describe('prices in minor units', () => {
  it('says Free', () => {
    expect(formatPrice({is_free: true, price_min: null, currency: null}, 'en-GB')).toBe('Free');
  });

  it('formats ranges with one currency symbol', () => {
    expect(formatPrice({is_free: false, price_min: 1200, price_max: 3000, currency: 'EUR'}, 'en-GB')).toBe('€12–30');
    expect(formatPrice({is_free: false, price_min: 1250, price_max: 1250, currency: 'USD'}, 'en-US')).toBe('$12.50');
    expect(formatPrice({is_free: false, price_min: 800, price_max: null, currency: 'GBP'}, 'en-GB')).toBe('From £8');
  });

  it('knows currencies without minor units', () => {
    expect(currencyDigits('JPY')).toBe(0);
    expect(formatPrice({is_free: false, price_min: 3000, price_max: 3000, currency: 'JPY'}, 'en-GB')).toBe('JP¥3,000');
  });

  it('returns nothing when the price is unknown', () => {
    expect(formatPrice({is_free: false, price_min: null, currency: null}, 'en-GB')).toBe('');
  });
});

describe('distances', () => {
  it('uses metres, then kilometres', () => {
    expect(formatDistance(347, 'en-GB')).toBe('350 m');
    expect(formatDistance(1260, 'en-GB')).toBe('1.3 km');
    expect(formatDistance(23_400, 'en-GB')).toBe('23 km');
  });
});
