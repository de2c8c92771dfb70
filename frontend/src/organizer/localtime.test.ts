import {describe, expect, it} from 'vitest';
import {TEST_NOW} from '../test-clock';
import {addMinutesLocal, describeLocal, inGap, instantToLocal, isZone, localToInstant, parseLocal, wireLocal} from './localtime';

describe('the venue’s local time', () => {
  it('runs at the pinned clock', () => {
    expect(Date.now()).toBe(TEST_NOW.getTime());
  });

  it('parses only real local times', () => {
    expect(parseLocal('2026-03-10T19:00')).toEqual({date: {year: 2026, month: 3, day: 10}, hour: 19, minute: 0});
    expect(parseLocal('2026-03-10T19:00:30')).not.toBeNull();
    for (const bad of ['', '2026-02-30T10:00', '2026-03-10T24:00', '2026-03-10 19:00', '10/03/2026 19:00']) expect(parseLocal(bad), bad).toBeNull();
  });

  it('knows zones', () => {
    expect(isZone('Europe/Paris')).toBe(true);
    expect(isZone('Mars/Olympus')).toBe(false);
    expect(isZone('')).toBe(false);
  });

  it('turns the venue’s wall clock into the instant, whatever the viewer’s zone', () => {
    expect(localToInstant('2026-03-10T19:00', 'Europe/Paris')!.toISOString()).toBe('2026-03-10T18:00:00.000Z');
    expect(localToInstant('2026-07-10T19:00', 'Europe/Paris')!.toISOString()).toBe('2026-07-10T17:00:00.000Z');
    expect(localToInstant('2026-03-10T19:00', 'Asia/Tokyo')!.toISOString()).toBe('2026-03-10T10:00:00.000Z');
    expect(instantToLocal('2026-03-10T18:00:00Z', 'Europe/Paris')).toBe('2026-03-10T19:00');
    expect(instantToLocal('2026-03-10T18:00:00Z', 'America/New_York')).toBe('2026-03-10T14:00');
    expect(localToInstant('2026-03-10T19:00', 'Nowhere/Else')).toBeNull();
  });

  it('sees the spring-forward gap and crosses DST by the wall clock', () => {
    expect(inGap('2026-03-29T02:30', 'Europe/Paris')).toBe(true);
    expect(inGap('2026-03-29T03:30', 'Europe/Paris')).toBe(false);
    expect(addMinutesLocal('2026-03-28T20:00', 24 * 60, 'Europe/Paris')).toBe('2026-03-29T21:00'); // 24 h later, one hour lost
    expect(addMinutesLocal('2026-03-10T19:00', 120, 'Europe/Paris')).toBe('2026-03-10T21:00');
  });

  it('sends local times without an offset', () => {
    expect(wireLocal('2026-03-10T19:00')).toBe('2026-03-10T19:00:00');
    expect(wireLocal('nope')).toBeNull();
  });

  it('says the time there, and here when it differs', () => {
    expect(describeLocal('2026-03-10T19:00', 'Europe/Paris', 'Europe/Paris')).toBe('Tue, 10 Mar 2026, 19:00 (Europe/Paris)');
    expect(describeLocal('2026-03-10T19:00', 'Europe/Paris', 'Europe/London')).toBe('Tue, 10 Mar 2026, 19:00 (Europe/Paris) — 18:00 for you');
    expect(describeLocal('2026-03-10T19:00', 'Europe/Paris', 'Asia/Tokyo')).toBe('Tue, 10 Mar 2026, 19:00 (Europe/Paris) — Wed 03:00 for you');
  });
});
