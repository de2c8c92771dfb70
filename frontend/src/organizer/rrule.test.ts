import {describe as group, expect, it} from 'vitest';
import {TEST_NOW} from '../test-clock';
import {checkRecurrence, defaultRecurrence, describe, nthOfMonth, occurrenceDates, parseRRule, type Recurrence, toRRule} from './rrule';
import {isoDate} from '../lib/time';

const TUE = {year: 2026, month: 3, day: 10}; // the 2nd Tuesday of March 2026

function rule(over: Partial<Recurrence>): Recurrence {
  return {...defaultRecurrence(TUE), end: {kind: 'never'}, ...over};
}

group('recurrence rules', () => {
  it('runs at the pinned clock', () => {
    expect(new Date().toISOString()).toBe(TEST_NOW.toISOString());
  });

  it('starts weekly on the start day, its nth weekday ready for monthly', () => {
    const r = defaultRecurrence(TUE);
    expect(r.byDay).toEqual(['TU']);
    expect(r.monthly).toEqual({kind: 'nth', nth: 2, weekday: 'TU'});
    expect(nthOfMonth({year: 2026, month: 3, day: 31})).toBe(-1); // the last Tuesday
    expect(nthOfMonth({year: 2026, month: 3, day: 24})).toBe(4); // the 4th, though also the last: people say 4th
    expect(nthOfMonth({year: 2026, month: 3, day: 17})).toBe(3);
  });

  it('writes RRULE strings, UNTIL at the end of the local day in UTC', () => {
    expect(toRRule(rule({}), 'Europe/Paris')).toBe('FREQ=WEEKLY;BYDAY=TU');
    expect(toRRule(rule({interval: 2, byDay: ['TH', 'TU'], end: {kind: 'count', count: 8}}), 'Europe/Paris')).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=8');
    // 30 June in Paris (summer time, UTC+2) ends at 21:59:59 UTC.
    expect(toRRule(rule({freq: 'MONTHLY', end: {kind: 'until', until: '2026-06-30'}}), 'Europe/Paris')).toBe('FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260630T215959Z');
    expect(toRRule(rule({freq: 'MONTHLY', monthly: {kind: 'day', day: 15}}), 'UTC')).toBe('FREQ=MONTHLY;BYMONTHDAY=15');
    expect(toRRule(rule({freq: 'MONTHLY', monthly: {kind: 'nth', nth: -1, weekday: 'FR'}}), 'UTC')).toBe('FREQ=MONTHLY;BYDAY=-1FR');
    expect(toRRule(rule({freq: 'DAILY', interval: 3}), 'UTC')).toBe('FREQ=DAILY;INTERVAL=3');
  });

  it('reads back what it writes, in any zone', () => {
    const cases: Recurrence[] = [
      rule({}),
      rule({interval: 2, byDay: ['MO', 'WE', 'FR'], end: {kind: 'count', count: 12}}),
      rule({freq: 'MONTHLY', end: {kind: 'until', until: '2026-06-30'}}),
      rule({freq: 'MONTHLY', monthly: {kind: 'day', day: 31}, interval: 3}),
      rule({freq: 'YEARLY', end: {kind: 'until', until: '2030-03-10'}}),
    ];
    for (const zone of ['Europe/Paris', 'Pacific/Auckland', 'America/Los_Angeles', 'Asia/Kolkata']) {
      for (const r of cases) {
        const back = parseRRule(`RRULE:${toRRule(r, zone)}`, zone, TUE);
        expect(back, `${zone} ${toRRule(r, zone)}`).not.toBeNull();
        expect(toRRule(back!, zone)).toBe(toRRule(r, zone));
        expect(back!.end).toEqual(r.end);
      }
    }
  });

  it('refuses what the editor cannot show', () => {
    for (const text of ['', 'FREQ=HOURLY', 'FREQ=WEEKLY;BYSETPOS=1', 'FREQ=MONTHLY;BYDAY=5TU', 'FREQ=WEEKLY;COUNT=2;UNTIL=20260101', 'FREQ=WEEKLY;BYDAY=XX', 'FREQ=DAILY;INTERVAL=0', 'FREQ=WEEKLY;FREQ=DAILY', 'nonsense']) {
      expect(parseRRule(text, 'UTC', TUE), text).toBeNull();
    }
  });

  it('says the rule in plain words', () => {
    expect(describe(rule({}), TUE)).toBe('Every Tuesday');
    expect(describe(rule({interval: 2}), TUE)).toBe('Every other week on Tuesday');
    expect(describe(rule({interval: 3, byDay: ['TU', 'TH']}), TUE)).toBe('Every 3 weeks on Tuesday and Thursday');
    expect(describe(rule({byDay: ['MO', 'TU', 'WE', 'TH', 'FR']}), TUE)).toBe('Every weekday');
    expect(describe(rule({freq: 'MONTHLY', end: {kind: 'until', until: '2026-06-30'}}), TUE)).toBe('Every 2nd Tuesday of the month until 30 June');
    expect(describe(rule({freq: 'MONTHLY', interval: 2, monthly: {kind: 'nth', nth: -1, weekday: 'FR'}}), TUE)).toBe('The last Friday of every other month');
    expect(describe(rule({freq: 'MONTHLY', monthly: {kind: 'day', day: 22}}), TUE)).toBe('Every month on the 22nd');
    expect(describe(rule({freq: 'DAILY', end: {kind: 'count', count: 5}}), TUE)).toBe('Every day, 5 times');
    expect(describe(rule({freq: 'YEARLY', end: {kind: 'until', until: '2030-03-10'}}), TUE)).toBe('Every year on 10 March until 10 March 2030');
    expect(describe(rule({exdates: ['2026-03-24', '2026-04-07']}), TUE)).toBe('Every Tuesday, except 24 March and 7 April');
  });

  it('lists the coming dates, skipping exceptions and stopping at the end', () => {
    const dates = (r: Recurrence, n = 6) => occurrenceDates(r, TUE, n).map(isoDate);
    expect(dates(rule({end: {kind: 'count', count: 3}}))).toEqual(['2026-03-10', '2026-03-17', '2026-03-24']);
    expect(dates(rule({exdates: ['2026-03-17'], end: {kind: 'count', count: 3}}))).toEqual(['2026-03-10', '2026-03-24']);
    expect(dates(rule({interval: 2, byDay: ['TU', 'FR']}), 4)).toEqual(['2026-03-10', '2026-03-13', '2026-03-24', '2026-03-27']);
    expect(dates(rule({freq: 'MONTHLY', end: {kind: 'until', until: '2026-06-30'}}))).toEqual(['2026-03-10', '2026-04-14', '2026-05-12', '2026-06-09']);
    expect(dates(rule({freq: 'MONTHLY', monthly: {kind: 'nth', nth: -1, weekday: 'TU'}}), 3)).toEqual(['2026-03-31', '2026-04-28', '2026-05-26']);
    expect(dates(rule({freq: 'MONTHLY', monthly: {kind: 'day', day: 31}}), 3)).toEqual(['2026-03-31', '2026-05-31', '2026-07-31']);
    expect(dates(rule({freq: 'DAILY', interval: 10}), 3)).toEqual(['2026-03-10', '2026-03-20', '2026-03-30']);
  });

  it('checks the editor fields', () => {
    expect(checkRecurrence(rule({}), TUE, 100)).toEqual([]);
    const params = (r: Recurrence) => checkRecurrence(r, TUE, 100).map((e) => e.param);
    expect(params(rule({byDay: []}))).toEqual(['recurrence.byday']);
    expect(params(rule({interval: 0}))).toEqual(['recurrence.interval']);
    expect(params(rule({end: {kind: 'count', count: 101}}))).toEqual(['recurrence.count']);
    expect(params(rule({end: {kind: 'until', until: '2026-03-01'}}))).toEqual(['recurrence.until']);
    expect(params(rule({end: {kind: 'until', until: ''}}))).toEqual(['recurrence.until']);
  });
});
