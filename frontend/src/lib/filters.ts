/**
 * The filters a person sets, and what they mean as instants and API parameters.
 * The same parameters drive the tiles (TileJSON URL) and the list, so both always agree.
 */
import {addDays, civilDate, type CivilDate, isoDate, parseIsoDate, weekday, wallTime, zonedToInstant} from './time';

export const DATE_PRESETS = ['upcoming', 'today', 'tonight', 'weekend', 'week', 'custom'] as const;
export type DatePreset = (typeof DATE_PRESETS)[number];

export const PRESET_LABELS: Record<DatePreset, string> = {
  upcoming: 'Any time',
  today: 'Today',
  tonight: 'Tonight',
  weekend: 'This weekend',
  week: 'Next 7 days',
  custom: 'Pick dates',
};

export const SORTS = ['start', 'distance', 'popularity'] as const;
export type SortKey = (typeof SORTS)[number];

export interface Filters {
  categories: string[]; // sorted, unique slugs
  when: DatePreset;
  from: string | null; // YYYY-MM-DD, inclusive, only for "custom"
  to: string | null; // YYYY-MM-DD, inclusive, only for "custom"
  free: boolean;
  priceMax: number | null; // minor units (cents)
  q: string;
}

export interface TimeRange {
  start: Date;
  end: Date | null; // exclusive; null = open-ended
}

export const DEFAULT_FILTERS: Filters = {
  categories: [],
  when: 'upcoming',
  from: null,
  to: null,
  free: false,
  priceMax: null,
  q: '',
};

/** Evening starts here for "tonight" and for the Friday of "this weekend". */
const EVENING_HOUR = 17;
/** "Tonight" runs until this hour of the next morning. */
const NIGHT_END_HOUR = 4;

/** The instants a filter covers, computed in the viewer's time zone. */
export function dateRange(filters: Filters, now: Date, timeZone: string): TimeRange {
  const today = civilDate(now, timeZone);
  const at = (date: CivilDate, hour = 0) => zonedToInstant(date, hour, 0, timeZone);
  switch (filters.when) {
    case 'today':
      return {start: at(today), end: at(addDays(today, 1))};
    case 'tonight': {
      // After midnight, "tonight" is still the night that began yesterday evening.
      const evening = wallTime(now, timeZone).hour < NIGHT_END_HOUR ? addDays(today, -1) : today;
      return {start: at(evening, EVENING_HOUR), end: at(addDays(evening, 1), NIGHT_END_HOUR)};
    }
    case 'weekend':
      return weekendRange(today, at);
    case 'week':
      return {start: at(today), end: at(addDays(today, 7))};
    case 'custom': {
      const from = parseIsoDate(filters.from) ?? today;
      const to = parseIsoDate(filters.to);
      return {start: at(from), end: to ? at(addDays(to, 1)) : null};
    }
    default: {
      // Upcoming: from the start of the current hour, so tile URLs stay cacheable for an hour.
      const hourStart = new Date(now);
      hourStart.setUTCMinutes(0, 0, 0);
      return {start: hourStart, end: null};
    }
  }
}

function weekendRange(today: CivilDate, at: (d: CivilDate, h?: number) => Date): TimeRange {
  const dow = weekday(today);
  if (dow === 6 || dow === 0) {
    // Already the weekend: from this morning until Monday.
    return {start: at(today), end: at(addDays(today, dow === 6 ? 2 : 1))};
  }
  const friday = addDays(today, 5 - dow);
  return {start: at(friday, EVENING_HOUR), end: at(addDays(friday, 3))};
}

/** ISO 8601 in UTC without milliseconds: short, exact, and the same string for the same instant. */
export function isoInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The filter parameters shared by the TileJSON and the list requests. */
export function filterParams(filters: Filters, range: TimeRange): URLSearchParams {
  const params = new URLSearchParams();
  for (const slug of filters.categories) params.append('category', slug);
  const q = filters.q.trim();
  if (q) params.set('q', q);
  params.set('starts_after', isoInstant(range.start));
  if (range.end) params.set('starts_before', isoInstant(range.end));
  if (filters.free) params.set('free', 'true');
  else if (filters.priceMax !== null) params.set('price_max', String(filters.priceMax));
  return params;
}

/** The TileJSON URL for these filters; the server puts them into its tile URL template. */
export function tileJsonUrl(origin: string, filters: Filters, range: TimeRange): string {
  const query = filterParams(filters, range).toString();
  return `${origin}/tiles/events.json${query ? `?${query}` : ''}`;
}

export type Area =
  | {kind: 'bbox'; west: number; south: number; east: number; north: number}
  | {kind: 'circle'; lat: number; lon: number; radiusM: number};

export interface ListQuery {
  filters: Filters;
  range: TimeRange;
  area: Area;
  sort: SortKey;
  /** Where "distance" is measured from (the person, or the map centre). */
  origin: {lat: number; lon: number} | null;
  limit: number;
  cursor?: string | null;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The discovery API query for the list. Distance sorting asks by circle, since it needs lat/lon. */
export function listParams(query: ListQuery): URLSearchParams {
  const params = filterParams(query.filters, query.range);
  const {area} = query;
  if (area.kind === 'bbox') {
    params.set('bbox', [area.west, area.south, area.east, area.north].map((v) => round(v, 5)).join(','));
  } else {
    params.set('lat', String(round(area.lat, 6)));
    params.set('lon', String(round(area.lon, 6)));
    params.set('radius_m', String(Math.round(area.radiusM)));
  }
  params.set('sort', query.sort === 'distance' && area.kind !== 'circle' ? 'start' : query.sort);
  params.set('limit', String(query.limit));
  if (query.cursor) params.set('cursor', query.cursor);
  return params;
}

export function normalizeFilters(input: Partial<Filters>): Filters {
  const f = {...DEFAULT_FILTERS, ...input};
  const categories = [...new Set(f.categories)].sort();
  const custom = f.when === 'custom';
  let from = custom ? (parseIsoDate(f.from) ? f.from : null) : null;
  let to = custom ? (parseIsoDate(f.to) ? f.to : null) : null;
  if (from && to && to < from) [from, to] = [to, from];
  const priceMax = f.priceMax !== null && Number.isFinite(f.priceMax) && f.priceMax >= 0 ? Math.round(f.priceMax) : null;
  return {categories, when: f.when, from, to, free: Boolean(f.free), priceMax, q: f.q.slice(0, 200)};
}

export function filtersEqual(a: Filters, b: Filters): boolean {
  return JSON.stringify(normalizeFilters(a)) === JSON.stringify(normalizeFilters(b));
}

/** The single day a filter selects, if it selects exactly one (what the time slider shows). */
export function singleDay(filters: Filters): string | null {
  return filters.when === 'custom' && filters.from && filters.from === filters.to ? filters.from : null;
}

export function dayFilter(filters: Filters, day: CivilDate): Filters {
  const iso = isoDate(day);
  return {...filters, when: 'custom', from: iso, to: iso};
}
