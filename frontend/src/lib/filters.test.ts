import {describe, expect, it} from 'vitest';
import {dateRange, DEFAULT_FILTERS, filterParams, type Filters, listParams, normalizeFilters, singleDay, tileJsonUrl} from './filters';

const f = (over: Partial<Filters>): Filters => normalizeFilters({...DEFAULT_FILTERS, ...over});
const iso = (d: Date | null) => d?.toISOString() ?? null;
// Wednesday 26 Nov 2025, 14:20 in Paris (UTC+1).
const NOW = new Date('2025-11-26T13:20:00Z');
const PARIS = 'Europe/Paris';

describe('date presets in the viewer zone', () => {
  it('today is local midnight to midnight', () => {
    const r = dateRange(f({when: 'today'}), NOW, PARIS);
    expect([iso(r.start), iso(r.end)]).toEqual(['2025-11-25T23:00:00.000Z', '2025-11-26T23:00:00.000Z']);
  });

  it('tonight is 17:00 to 04:00, and still last night after midnight', () => {
    const r = dateRange(f({when: 'tonight'}), NOW, PARIS);
    expect([iso(r.start), iso(r.end)]).toEqual(['2025-11-26T16:00:00.000Z', '2025-11-27T03:00:00.000Z']);
    const late = dateRange(f({when: 'tonight'}), new Date('2025-11-27T00:30:00Z'), PARIS);
    expect(iso(late.start)).toBe('2025-11-26T16:00:00.000Z');
  });

  it('this weekend runs from Friday evening to Monday', () => {
    const r = dateRange(f({when: 'weekend'}), NOW, PARIS);
    expect([iso(r.start), iso(r.end)]).toEqual(['2025-11-28T16:00:00.000Z', '2025-11-30T23:00:00.000Z']);
    const saturday = dateRange(f({when: 'weekend'}), new Date('2025-11-29T10:00:00Z'), PARIS);
    expect([iso(saturday.start), iso(saturday.end)]).toEqual(['2025-11-28T23:00:00.000Z', '2025-11-30T23:00:00.000Z']);
  });

  it('next 7 days and custom ranges are whole local days', () => {
    const week = dateRange(f({when: 'week'}), NOW, PARIS);
    expect(iso(week.end)).toBe('2025-12-02T23:00:00.000Z');
    const custom = dateRange(f({when: 'custom', from: '2025-12-24', to: '2025-12-26'}), NOW, 'America/New_York');
    expect([iso(custom.start), iso(custom.end)]).toEqual(['2025-12-24T05:00:00.000Z', '2025-12-27T05:00:00.000Z']);
  });

  it('upcoming starts at the current hour and has no end', () => {
    const r = dateRange(DEFAULT_FILTERS, NOW, PARIS);
    expect([iso(r.start), r.end]).toEqual(['2025-11-26T13:00:00.000Z', null]);
  });
});

describe('filters to query parameters', () => {
  const range = {start: new Date('2025-11-26T23:00:00Z'), end: new Date('2025-11-27T23:00:00Z')};

  it('repeats categories and writes instants in UTC', () => {
    const p = filterParams(f({categories: ['music', 'arts'], q: ' jazz ', priceMax: 2000}), range);
    expect(p.getAll('category')).toEqual(['arts', 'music']);
    expect(p.get('q')).toBe('jazz');
    expect(p.get('starts_after')).toBe('2025-11-26T23:00:00Z');
    expect(p.get('starts_before')).toBe('2025-11-27T23:00:00Z');
    expect(p.get('price_max')).toBe('2000');
    expect(p.has('free')).toBe(false);
  });

  it('free only makes a price ceiling moot', () => {
    const p = filterParams(f({free: true, priceMax: 500}), range);
    expect(p.get('free')).toBe('true');
    expect(p.has('price_max')).toBe(false);
  });

  it('the TileJSON URL carries exactly the list filters', () => {
    const filters = f({categories: ['music'], free: true});
    const url = new URL(tileJsonUrl('http://x', filters, range));
    expect(url.pathname).toBe('/tiles/events.json');
    expect(url.searchParams.toString()).toBe(filterParams(filters, range).toString());
  });

  it('the list asks by bbox, or by circle when sorting by distance', () => {
    const base = {filters: f({}), range, origin: null, limit: 50};
    const byBox = listParams({...base, area: {kind: 'bbox', west: 2.2, south: 48.8, east: 2.5, north: 48.9}, sort: 'distance'});
    expect(byBox.get('bbox')).toBe('2.2,48.8,2.5,48.9');
    expect(byBox.get('sort')).toBe('start');
    const byCircle = listParams({...base, area: {kind: 'circle', lat: 48.85, lon: 2.35, radiusM: 5000.4}, sort: 'distance', cursor: 'abc'});
    expect([byCircle.get('lat'), byCircle.get('lon'), byCircle.get('radius_m')]).toEqual(['48.85', '2.35', '5000']);
    expect(byCircle.get('sort')).toBe('distance');
    expect(byCircle.get('cursor')).toBe('abc');
    expect(byCircle.has('bbox')).toBe(false);
  });
});

describe('normalising filters', () => {
  it('dedupes and orders categories, swaps reversed dates, drops dates outside custom', () => {
    expect(normalizeFilters({categories: ['music', 'arts', 'music']}).categories).toEqual(['arts', 'music']);
    const swapped = normalizeFilters({when: 'custom', from: '2025-12-05', to: '2025-12-01'});
    expect([swapped.from, swapped.to]).toEqual(['2025-12-01', '2025-12-05']);
    expect(normalizeFilters({when: 'today', from: '2025-12-05'}).from).toBeNull();
  });

  it('recognises a single selected day for the time slider', () => {
    expect(singleDay(f({when: 'custom', from: '2025-12-01', to: '2025-12-01'}))).toBe('2025-12-01');
    expect(singleDay(f({when: 'custom', from: '2025-12-01', to: '2025-12-02'}))).toBeNull();
  });
});
