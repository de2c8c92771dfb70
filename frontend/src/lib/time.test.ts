import {describe, expect, it} from 'vitest';
import {addDays, civilDate, parseIsoDate, wallTime, weekday, zonedToInstant, zoneOffsetMs} from './time';

describe('wall time in a zone', () => {
  it('reads the local clock of another zone', () => {
    const w = wallTime(new Date('2025-07-01T12:00:00Z'), 'America/New_York');
    expect([w.year, w.month, w.day, w.hour, w.minute]).toEqual([2025, 7, 1, 8, 0]);
  });

  it('knows offsets on both sides of DST', () => {
    expect(zoneOffsetMs(new Date('2025-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(3600_000);
    expect(zoneOffsetMs(new Date('2025-07-15T12:00:00Z'), 'Europe/Berlin')).toBe(7200_000);
    expect(zoneOffsetMs(new Date('2025-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(19_800_000);
  });

  it('turns a wall time into the instant, DST included', () => {
    const d = {year: 2025, month: 3, day: 30};
    expect(zonedToInstant(d, 0, 0, 'Europe/Berlin').toISOString()).toBe('2025-03-29T23:00:00.000Z');
    expect(zonedToInstant(d, 12, 0, 'Europe/Berlin').toISOString()).toBe('2025-03-30T10:00:00.000Z');
    // 02:30 does not exist that night in Berlin: clocks jump to 03:30.
    expect(zonedToInstant(d, 2, 30, 'Europe/Berlin').toISOString()).toBe('2025-03-30T01:30:00.000Z');
  });

  it('does calendar arithmetic across months and leap days', () => {
    expect(addDays({year: 2024, month: 2, day: 28}, 1)).toEqual({year: 2024, month: 2, day: 29});
    expect(addDays({year: 2025, month: 12, day: 31}, 1)).toEqual({year: 2026, month: 1, day: 1});
    expect(weekday({year: 2025, month: 11, day: 28})).toBe(5);
  });

  it('parses only real dates', () => {
    expect(parseIsoDate('2025-02-28')).toEqual({year: 2025, month: 2, day: 28});
    expect(parseIsoDate('2025-02-30')).toBeNull();
    expect(parseIsoDate('tomorrow')).toBeNull();
    expect(parseIsoDate(null)).toBeNull();
  });
});

describe('the test clock', () => {
  it('is fixed, so "today" is the same at any hour of any day', () => {
    expect(new Date().toISOString()).toBe('2026-03-29T19:15:00.000Z');
    expect(civilDate(new Date(), 'Europe/Paris')).toEqual({year: 2026, month: 3, day: 29});
    expect(civilDate(new Date(), 'Asia/Shanghai')).toEqual({year: 2026, month: 3, day: 30});
  });
});
