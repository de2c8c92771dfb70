/**
 * The page's state in its URL: map position, filters, sort, open event and view.
 * A copied link reproduces the view; back/forward replay it. Parsing never throws: a hand-edited
 * or stale link degrades to defaults field by field.
 *
 * A map position may also come in the fragment, as other maps write it: `#zoom/lat/lon` (MapLibre,
 * optionally followed by bearing and pitch) or `#map=zoom/lat/lon` (OpenStreetMap). It opens the
 * same view as `?map=zoom/lat/lon`, which the page then writes instead.
 */
import {isCategory} from './categories';
import {DATE_PRESETS, type DatePreset, DEFAULT_FILTERS, type Filters, normalizeFilters, SORTS, type SortKey} from './filters';
import {parseIsoDate} from './time';

export interface MapView {
  lon: number;
  lat: number;
  zoom: number;
}

export type ViewMode = 'list' | 'calendar';
export type CalendarScale = 'month' | 'week';

export interface AppState {
  map: MapView | null;
  filters: Filters;
  sort: SortKey;
  event: string | null;
  view: ViewMode;
  calendar: CalendarScale;
}

export const DEFAULT_STATE: AppState = {
  map: null,
  filters: DEFAULT_FILTERS,
  sort: 'start',
  event: null,
  view: 'list',
  calendar: 'month',
};

const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DECIMAL = /^-?\d{1,3}(\.\d{1,12})?$/;

function parseMap(text: string | null): MapView | null {
  const texts = (text ?? '').split('/');
  if (texts.length !== 3 || !texts.every((t) => DECIMAL.test(t))) return null;
  const [zoom, lat, lon] = texts.map(Number);
  if (zoom < 0 || zoom > 22 || Math.abs(lat) > 85.06 || Math.abs(lon) > 180) return null;
  return {zoom, lat, lon};
}

/** A map position in a URL fragment (`#zoom/lat/lon[/bearing[/pitch]]` or `#map=zoom/lat/lon&…`), or null. */
export function parseHashView(hash: string): MapView | null {
  if (hash.startsWith('#/')) return null; // a page of the app (lib/router.ts), never a map position
  const text = hash.replace(/^#/, '');
  const parts = (new URLSearchParams(text).get('map') ?? text).split('/');
  if (parts.length < 3 || parts.length > 5 || !parts.slice(3).every((n) => DECIMAL.test(n))) return null;
  return parseMap(parts.slice(0, 3).join('/'));
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** The state a URL describes; a map position in `hash` (see `parseHashView`) wins over `?map=`. */
export function parseState(search: string, hash = ''): AppState {
  const p = new URLSearchParams(search);
  const when = oneOf<DatePreset>(p.get('when'), DATE_PRESETS, 'upcoming');
  const max = p.get('max');
  const priceMax = max !== null && /^\d{1,9}$/.test(max) ? Number(max) : null;
  const filters = normalizeFilters({
    categories: (p.get('cat') ?? '').split(',').filter(isCategory),
    when,
    from: parseIsoDate(p.get('from')) ? p.get('from') : null,
    to: parseIsoDate(p.get('to')) ? p.get('to') : null,
    free: p.get('free') === '1',
    priceMax,
    q: p.get('q') ?? '',
  });
  const event = p.get('event');
  return {
    map: parseHashView(hash) ?? parseMap(p.get('map')),
    filters,
    sort: oneOf<SortKey>(p.get('sort'), SORTS, 'start'),
    event: event && EVENT_ID.test(event) ? event : null,
    view: oneOf<ViewMode>(p.get('view'), ['list', 'calendar'], 'list'),
    calendar: oneOf<CalendarScale>(p.get('cal'), ['month', 'week'], 'month'),
  };
}

/** Precision that is sub-metre at any zoom people use, and no longer than that. */
export function formatMapView(view: MapView): string {
  const zoom = Math.round(view.zoom * 100) / 100;
  const digits = Math.max(2, Math.min(6, Math.ceil(zoom / 3) + 1));
  return `${zoom}/${view.lat.toFixed(digits)}/${view.lon.toFixed(digits)}`;
}

/** A canonical query string (stable key order, defaults left out), starting with `?` or empty. */
export function serializeState(state: AppState): string {
  const p = new URLSearchParams();
  const f = normalizeFilters(state.filters);
  if (state.map) p.set('map', formatMapView(state.map));
  if (f.categories.length) p.set('cat', f.categories.join(','));
  if (f.when !== DEFAULT_FILTERS.when) p.set('when', f.when);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.free) p.set('free', '1');
  if (f.priceMax !== null && !f.free) p.set('max', String(f.priceMax));
  if (f.q.trim()) p.set('q', f.q.trim());
  if (state.sort !== DEFAULT_STATE.sort) p.set('sort', state.sort);
  if (state.event) p.set('event', state.event);
  if (state.view !== DEFAULT_STATE.view) p.set('view', state.view);
  if (state.calendar !== DEFAULT_STATE.calendar) p.set('cal', state.calendar);
  const text = p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/');
  return text ? `?${text}` : '';
}
