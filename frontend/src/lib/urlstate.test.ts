import {describe, expect, it} from 'vitest';
import {DEFAULT_FILTERS} from './filters';
import {type AppState, DEFAULT_STATE, parseHashView, parseState, serializeState} from './urlstate';

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

describe('map links from other maps', () => {
  it('opens #zoom/lat/lon as ?map= does, with or without bearing and pitch', () => {
    const view = {zoom: 12, lat: 40.7128, lon: -74.006};
    expect(parseState('', '#12/40.7128/-74.0060').map).toEqual(view);
    expect(parseState('', '#12/40.7128/-74.0060/30/45').map).toEqual(view);
    expect(parseState('?map=12/40.7128/-74.0060').map).toEqual(view);
    expect(parseHashView('#12/40.7128/-74.0060')).toEqual(parseState('?map=12/40.7128/-74.0060').map);
  });

  it("reads OpenStreetMap's #map= and keeps the query's filters", () => {
    const state = parseState('?cat=music&when=week', '#map=15/51.50740/-0.12780&layers=C');
    expect(state.map).toEqual({zoom: 15, lat: 51.5074, lon: -0.1278});
    expect(state.filters.categories).toEqual(['music']);
    expect(serializeState(state)).toBe('?map=15/51.507400/-0.127800&cat=music&when=week');
  });

  it('a view in the fragment wins over ?map=; any other fragment leaves it alone', () => {
    expect(parseState('?map=3/10/20', '#9/1/2').map).toEqual({zoom: 9, lat: 1, lon: 2});
    expect(parseState('?map=3/10/20', '#results').map).toEqual({zoom: 3, lat: 10, lon: 20});
  });

  it('ignores fragments that are not a view', () => {
    for (const hash of ['', '#', '#results', '#//', '#99/1/2', '#12/abc/1', '#12/91/0', '#1/2', '#1/2/3/4/5/6', '#1/2/3/north', '#map=']) {
      expect(parseHashView(hash)).toBeNull();
    }
    expect(parseState('?map=//').map).toBeNull();
  });
});
