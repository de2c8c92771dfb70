import {describe, expect, it} from 'vitest';
import {TEST_NOW} from '../test-clock';
import {changes} from './audit';

describe('what a change changed', () => {
  it('runs at the pinned clock', () => {
    expect(Date.now()).toBe(TEST_NOW.getTime());
  });

  it('lists the fields that differ, before → after', () => {
    expect(changes({title: 'Jazz', status: 'draft', sequence: 1}, {title: 'Jazz night', status: 'draft', sequence: 2})).toEqual(['title: “Jazz” → “Jazz night”']);
    expect(changes(null, {status: 'published'})).toEqual(['status: “published”']);
    expect(changes({price_min: 1000}, {price_min: null})).toEqual(['price min: 1000 → —']);
  });
});
