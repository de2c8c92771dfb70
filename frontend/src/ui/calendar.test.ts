import {describe, expect, it} from 'vitest';
import {periodContains, periodFor, periodRange, shiftPeriod} from './calendar';

describe('calendar periods', () => {
  it('a month view starts on the Monday before the 1st and covers whole weeks', () => {
    const p = periodFor('month', {year: 2026, month: 11, day: 27});
    expect(p.first).toEqual({year: 2026, month: 10, day: 26});
    expect(p.days).toBe(42); // 1 Nov 2026 is a Sunday: six rows
    expect(p.month).toEqual({year: 2026, month: 11, day: 1});
  });

  it('a week view is the seven days from its first day, whatever the weekday', () => {
    const sunday = periodFor('week', {year: 2026, month: 3, day: 29});
    expect(sunday.first).toEqual({year: 2026, month: 3, day: 29});
    expect(sunday.days).toBe(7);
    expect(periodContains(sunday, {year: 2026, month: 4, day: 4})).toBe(true);
    expect(periodContains(sunday, {year: 2026, month: 4, day: 5})).toBe(false);
    expect(periodContains(sunday, {year: 2026, month: 3, day: 28})).toBe(false);
  });

  it('February of a non-leap year starting on Monday fits four rows', () => {
    expect(periodFor('month', {year: 2027, month: 2, day: 10}).days).toBe(28);
  });

  it('moves by seven days or by one month, across year ends', () => {
    const week = periodFor('week', {year: 2026, month: 12, day: 29});
    expect(shiftPeriod(week, 1).first).toEqual({year: 2027, month: 1, day: 5});
    expect(shiftPeriod(week, -1).first).toEqual({year: 2026, month: 12, day: 22});
    const january = periodFor('month', {year: 2027, month: 1, day: 31});
    expect(shiftPeriod(january, -1).month).toEqual({year: 2026, month: 12, day: 1});
    expect(shiftPeriod(january, 1).month).toEqual({year: 2027, month: 2, day: 1});
  });

  it('covers local midnights of the place, a 23-hour day included', () => {
    // Europe moves its clocks forward on Sunday 29 March 2026: that week is 7 days less an hour long.
    const {start, end} = periodRange(periodFor('week', {year: 2026, month: 3, day: 26}), 'Europe/Paris');
    expect([start.toISOString(), end.toISOString()]).toEqual(['2026-03-25T23:00:00.000Z', '2026-04-01T22:00:00.000Z']);
    // The same days in Beijing begin seven hours earlier (six once Paris keeps summer time).
    const beijing = periodRange(periodFor('week', {year: 2026, month: 3, day: 26}), 'Asia/Shanghai');
    expect(beijing.start.toISOString()).toBe('2026-03-25T16:00:00.000Z');
  });
});
