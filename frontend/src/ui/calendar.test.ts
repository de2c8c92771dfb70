import {describe, expect, it} from 'vitest';
import {periodFor} from './calendar';

describe('calendar periods', () => {
  it('a month view starts on the Monday before the 1st and covers whole weeks', () => {
    const p = periodFor('month', {year: 2026, month: 11, day: 27});
    expect(p.first).toEqual({year: 2026, month: 10, day: 26});
    expect(p.days).toBe(42); // 1 Nov 2026 is a Sunday: six rows
    expect(p.month).toEqual({year: 2026, month: 11, day: 1});
  });

  it('a week view is Monday to Sunday around the anchor', () => {
    const p = periodFor('week', {year: 2026, month: 11, day: 27});
    expect(p.first).toEqual({year: 2026, month: 11, day: 23});
    expect(p.days).toBe(7);
  });

  it('February of a non-leap year starting on Monday fits four rows', () => {
    expect(periodFor('month', {year: 2027, month: 2, day: 10}).days).toBe(28);
  });
});
