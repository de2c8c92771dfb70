/**
 * Wall-clock arithmetic in IANA time zones with nothing but Intl.
 *
 * Date presets ("tonight", "this weekend") are wall-clock ideas in the viewer's zone, while the API
 * wants instants; these helpers convert between the two, DST included.
 */

export interface CivilDate {
  year: number;
  month: number; // 1-12
  day: number;
}

export interface WallTime extends CivilDate {
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

/** The wall-clock time shown in `timeZone` at `instant`. */
export function wallTime(instant: Date, timeZone: string): WallTime {
  const out: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year,
    month: out.month,
    day: out.day,
    hour: out.hour % 24,
    minute: out.minute,
    second: out.second,
  };
}

/** Milliseconds that `timeZone` is ahead of UTC at `instant`. */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which `timeZone` shows this wall time. In a DST gap the wall time does not exist
 * and the result is shifted forward by the gap, as clocks are.
 */
export function zonedToInstant(date: CivilDate, hour: number, minute: number, timeZone: string): Date {
  const guess = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const first = zoneOffsetMs(new Date(guess), timeZone);
  const candidate = guess - first;
  const second = zoneOffsetMs(new Date(candidate), timeZone);
  return new Date(first === second ? candidate : guess - second);
}

export function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate()};
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekday(date: CivilDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function compareDates(a: CivilDate, b: CivilDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

export function isoDate(date: CivilDate): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}

/** Parse `YYYY-MM-DD`; null when it is not a real calendar date. */
export function parseIsoDate(text: string | null | undefined): CivilDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  if (!m) return null;
  const date = {year: Number(m[1]), month: Number(m[2]), day: Number(m[3])};
  const check = addDays(date, 0);
  return compareDates(check, date) === 0 ? date : null;
}

export function civilDate(instant: Date, timeZone: string): CivilDate {
  const {year, month, day} = wallTime(instant, timeZone);
  return {year, month, day};
}

/** The viewer's IANA zone, or UTC when the browser will not say. */
export function viewerTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
