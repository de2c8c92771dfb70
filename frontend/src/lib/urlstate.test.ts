import {describe, expect, it} from 'vitest';
import {DEFAULT_FILTERS} from './filters';
import {type AppState, DEFAULT_STATE, parseState, serializeState} from './urlstate';

describe('URL state', () => {
  it('round-trips every field', () => {
    const state: AppState = {
      map: {zoom: 13.25, lat: 48.856613, lon: 2.352222},
      filters: {categories: ['arts', 'music'], when: 'custom', from: '2025-12-01', to: '2025-12-03', free: false, priceMax: 2500, q: 'jazz & blues'},
      sort: 'popularity',
      event: '7f3c2a1e-0000-4000-8000-000000000001',
      view: 'calendar',
      calendar: 'week',
    };
    const text = serializeState(state);
    expect(text).toContain('map=13.25/48.856613/2.352222');
    expect(text).toContain('cat=arts,music');
    expect(parseState(text)).toEqual(state);
  });

  it('leaves defaults out, so the plain page has a plain URL', () => {
    expect(serializeState(DEFAULT_STATE)).toBe('');
    expect(parseState('')).toEqual(DEFAULT_STATE);
  });

  it('degrades bad values field by field instead of failing', () => {
    const s = parseState('?map=99/500/2&cat=music,nope&when=someday&max=-3&sort=random&event=<script>&free=yes');
    expect(s.map).toBeNull();
    expect(s.filters).toEqual({...DEFAULT_FILTERS, categories: ['music']});
    expect(s.sort).toBe('start');
    expect(s.event).toBeNull();
  });

  it('writes free-only without a price ceiling', () => {
    const text = serializeState({...DEFAULT_STATE, filters: {...DEFAULT_FILTERS, free: true, priceMax: 1000}});
    expect(text).toBe('?free=1');
  });

  it('keeps coordinates short at low zoom', () => {
    const text = serializeState({...DEFAULT_STATE, map: {zoom: 3, lat: 48.8566131, lon: 2.3522219}});
    expect(text).toBe('?map=3/48.86/2.35');
  });
});
