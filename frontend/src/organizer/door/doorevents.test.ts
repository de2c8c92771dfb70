import {describe, expect, it} from 'vitest';
import {checkable, isOver} from './doorevents';

describe('the events a person checks tickets for', () => {
  it('come from every organizer the person belongs to, a checker’s too', () => {
    const orgs = [
      {id: 'a', name: 'A', role: 'checker'},
      {id: 'b', name: 'B', role: 'editor'},
      {id: 'c', name: 'C', role: null},
    ];
    expect(checkable(orgs).map((o) => o.id)).toEqual(['a', 'b']);
  });
  it('are marked ended once over', () => {
    const now = new Date('2030-03-14T12:00:00Z');
    expect(isOver({starts_at: '2030-03-14T09:00:00Z', ends_at: '2030-03-14T11:00:00Z'}, now)).toBe(true);
    expect(isOver({starts_at: '2030-03-14T09:00:00Z', ends_at: '2030-03-14T13:00:00Z'}, now)).toBe(false);
    expect(isOver({starts_at: '2030-03-14T13:00:00Z', ends_at: null}, now)).toBe(false);
  });
});
