/**
 * Vitest setup: every test file starts with the clock fixed (`Date` only; timers stay real), so no
 * test depends on the hour or the weekday it runs at. The instant is a Sunday evening in UTC, when
 * it is already Monday in Asia; a test that needs another moment sets it with `vi.setSystemTime`.
 */
import {afterAll, beforeAll, vi} from 'vitest';

export const TEST_NOW = new Date('2026-03-29T19:15:00Z');

beforeAll(() => {
  vi.useFakeTimers({toFake: ['Date']});
  vi.setSystemTime(TEST_NOW);
});

afterAll(() => {
  vi.useRealTimers();
});
