/**
 * Recurrence in plain words: a small structured rule (frequency, interval, weekdays or the nth
 * weekday of the month, until/count, exceptions) <-> an RFC 5545 RRULE string <-> an English sentence
 * ("every 2nd Tuesday of the month until 30 June 2026"). Pure: no DOM, no clock.
 *
 * Times are the venue's wall-clock times: a local `UNTIL` date is sent as the UTC instant of the end
 * of that day in the venue's zone (RFC 5545: UNTIL is UTC when DTSTART has a zone), and read back
 * the same way. Only the subset the editor can make is parsed; anything else is `null` (shown as
 * the raw rule, never silently rewritten).
 */
import {addDays, type CivilDate, compareDates, isoDate, parseIsoDate, weekday, wallTime, zonedToInstant} from '../lib/time';

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

export const WEEKDAY_NAMES: Record<Weekday, string> = {
  MO: 'Monday',
  TU: 'Tuesday',
  WE: 'Wednesday',
  TH: 'Thursday',
  FR: 'Friday',
  SA: 'Saturday',
  SU: 'Sunday',
};
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Monthly: on a day of the month (the 15th), or on the nth weekday (2nd Tuesday; -1: the last). */
export type MonthlyRule = {kind: 'day'; day: number} | {kind: 'nth'; nth: number; weekday: Weekday};
export type EndRule = {kind: 'never'} | {kind: 'count'; count: number} | {kind: 'until'; until: string};

export interface Recurrence {
  freq: Freq;
  interval: number;
  /** Weekly: the weekdays (empty: the start's weekday). */
  byDay: Weekday[];
  monthly: MonthlyRule;
  end: EndRule;
  /** Occurrences left out: their local start dates (YYYY-MM-DD). */
  exdates: string[];
}

/** The weekday code of a calendar date. */
export function weekdayOf(date: CivilDate): Weekday {
  return WEEKDAYS[(weekday(date) + 6) % 7];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Which weekday of its month a date is: 1..4, or -1 for a 5th (which is always the last). */
export function nthOfMonth(date: CivilDate): number {
  const nth = Math.ceil(date.day / 7);
  return nth <= 4 ? nth : -1;
}

/** The rule the editor starts with for an event starting on `start`: every week on its weekday. */
export function defaultRecurrence(start: CivilDate): Recurrence {
  return {
    freq: 'WEEKLY',
    interval: 1,
    byDay: [weekdayOf(start)],
    monthly: {kind: 'nth', nth: nthOfMonth(start), weekday: weekdayOf(start)},
    end: {kind: 'count', count: 10},
    exdates: [],
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function utcStamp(instant: Date): string {
  return `${pad(instant.getUTCFullYear(), 4)}${pad(instant.getUTCMonth() + 1)}${pad(instant.getUTCDate())}T${pad(instant.getUTCHours())}${pad(instant.getUTCMinutes())}${pad(instant.getUTCSeconds())}Z`;
}

/** The RRULE value (without the `RRULE:` prefix) of a rule, with UNTIL at the end of the local day in `zone`. */
export function toRRule(r: Recurrence, zone: string): string {
  const parts = [`FREQ=${r.freq}`];
  if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.freq === 'WEEKLY' && r.byDay.length) parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.byDay.includes(d)).join(',')}`);
  if (r.freq === 'MONTHLY') {
    if (r.monthly.kind === 'day') parts.push(`BYMONTHDAY=${r.monthly.day}`);
    else parts.push(`BYDAY=${r.monthly.nth}${r.monthly.weekday}`);
  }
  if (r.end.kind === 'count') parts.push(`COUNT=${r.end.count}`);
  if (r.end.kind === 'until') {
    const date = parseIsoDate(r.end.until);
    if (date) {
      // The last second of that day, there.
      const end = new Date(zonedToInstant(addDays(date, 1), 0, 0, zone).getTime() - 1000);
      parts.push(`UNTIL=${utcStamp(end)}`);
    }
  }
  return parts.join(';');
}

/** The editor's rule for an RRULE string, or null when the rule is beyond what the editor makes. */
export function parseRRule(text: string, zone: string, start: CivilDate): Recurrence | null {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (!body) return null;
  const fields = new Map<string, string>();
  for (const part of body.split(';')) {
    const [key, value, ...rest] = part.split('=');
    if (!key || value === undefined || rest.length || fields.has(key.toUpperCase())) return null;
    fields.set(key.toUpperCase(), value.toUpperCase());
  }
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'COUNT', 'UNTIL', 'WKST']);
  for (const key of fields.keys()) if (!known.has(key)) return null;
  const freq = fields.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY' && freq !== 'YEARLY') return null;
  const r = defaultRecurrence(start);
  r.freq = freq;
  r.byDay = freq === 'WEEKLY' ? [] : r.byDay;
  r.end = {kind: 'never'};
  const interval = fields.get('INTERVAL');
  if (interval !== undefined) {
    if (!/^\d+$/.test(interval) || Number(interval) < 1) return null;
    r.interval = Number(interval);
  }
  const byDay = fields.get('BYDAY');
  const byMonthDay = fields.get('BYMONTHDAY');
  if (freq === 'WEEKLY') {
    if (byMonthDay !== undefined) return null;
    if (byDay !== undefined) {
      const days = byDay.split(',');
      if (!days.every((d): d is Weekday => (WEEKDAYS as readonly string[]).includes(d))) return null;
      r.byDay = WEEKDAYS.filter((d) => days.includes(d));
    } else r.byDay = [weekdayOf(start)];
  } else if (freq === 'MONTHLY') {
    if (byDay !== undefined && byMonthDay !== undefined) return null;
    if (byDay !== undefined) {
      const m = /^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$/.exec(byDay);
      if (!m) return null;
      const nth = Number(m[1]);
      if (nth === 0 || nth < -1 || nth > 4) return null;
      r.monthly = {kind: 'nth', nth, weekday: m[2] as Weekday};
    } else if (byMonthDay !== undefined) {
      if (!/^\d+$/.test(byMonthDay) || Number(byMonthDay) < 1 || Number(byMonthDay) > 31) return null;
      r.monthly = {kind: 'day', day: Number(byMonthDay)};
    } else r.monthly = {kind: 'day', day: start.day};
  } else if (byDay !== undefined || byMonthDay !== undefined) return null;
  const count = fields.get('COUNT');
  const until = fields.get('UNTIL');
  if (count !== undefined && until !== undefined) return null;
  if (count !== undefined) {
    if (!/^\d+$/.test(count) || Number(count) < 1) return null;
    r.end = {kind: 'count', count: Number(count)};
  }
  if (until !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(until);
    if (!m) return null;
    let date: CivilDate;
    if (m[4] !== undefined && m[7] === 'Z') {
      const instant = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
      const w = wallTime(instant, zone);
      date = {year: w.year, month: w.month, day: w.day};
    } else date = {year: +m[1], month: +m[2], day: +m[3]};
    if (!parseIsoDate(isoDate(date))) return null;
    r.end = {kind: 'until', until: isoDate(date)};
  }
  return r;
}

const ORDINALS: Record<number, string> = {1: '1st', 2: '2nd', 3: '3rd', 4: '4th', [-1]: 'last'};

export function ordinal(n: number): string {
  if (ORDINALS[n]) return ORDINALS[n];
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({1: 'st', 2: 'nd', 3: 'rd'} as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

function list(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

export function longDate(date: CivilDate, withYear = true): string {
  return `${date.day} ${MONTHS[date.month - 1]}${withYear ? ` ${date.year}` : ''}`;
}

function every(n: number, unit: string): string {
  if (n === 1) return `every ${unit}`;
  if (n === 2) return `every other ${unit}`;
  return `every ${n} ${unit}s`;
}

/** The rule as a sentence, e.g. "every 2nd Tuesday of the month until 30 June 2026". */
export function describe(r: Recurrence, start: CivilDate): string {
  let text: string;
  switch (r.freq) {
    case 'DAILY':
      text = every(r.interval, 'day');
      break;
    case 'WEEKLY': {
      const days = (r.byDay.length ? WEEKDAYS.filter((d) => r.byDay.includes(d)) : [weekdayOf(start)]).map((d) => WEEKDAY_NAMES[d]);
      if (r.interval === 1 && days.length === 1) text = `every ${days[0]}`;
      else if (r.interval === 1 && days.length === 5 && !r.byDay.includes('SA') && !r.byDay.includes('SU')) text = 'every weekday';
      else text = `${every(r.interval, 'week')} on ${list(days)}`;
      break;
    }
    case 'MONTHLY': {
      const m = r.monthly;
      const what = m.kind === 'day' ? `the ${ordinal(m.day)}` : `the ${ordinal(m.nth)} ${WEEKDAY_NAMES[m.weekday]}`;
      if (r.interval === 1) text = m.kind === 'nth' ? `every ${ordinal(m.nth)} ${WEEKDAY_NAMES[m.weekday]} of the month` : `every month on the ${ordinal(m.day)}`;
      else text = `${what} of ${every(r.interval, 'month')}`;
      break;
    }
    case 'YEARLY':
      text = `${every(r.interval, 'year')} on ${longDate(start, false)}`;
      break;
  }
  if (r.end.kind === 'count') text += r.end.count === 1 ? ', once' : `, ${r.end.count} times`;
  if (r.end.kind === 'until') {
    const until = parseIsoDate(r.end.until);
    if (until) text += ` until ${longDate(until, until.year !== start.year)}`;
  }
  const skipped = r.exdates.map((d) => parseIsoDate(d)).filter((d): d is CivilDate => d !== null);
  if (skipped.length) text += `, except ${list(skipped.map((d) => longDate(d, d.year !== start.year)))}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The nth (1..4, or -1: last) `weekday` of a month, or null when the month has no such day. */
function nthWeekday(year: number, month: number, nth: number, day: Weekday): CivilDate | null {
  const target = WEEKDAYS.indexOf(day);
  if (nth > 0) {
    const first = {year, month, day: 1};
    const shift = (target - WEEKDAYS.indexOf(weekdayOf(first)) + 7) % 7;
    const d = 1 + shift + (nth - 1) * 7;
    return d <= daysInMonth(year, month) ? {year, month, day: d} : null;
  }
  const last = {year, month, day: daysInMonth(year, month)};
  const back = (WEEKDAYS.indexOf(weekdayOf(last)) - target + 7) % 7;
  return {year, month, day: last.day - back};
}

/**
 * The local dates of the first `limit` occurrences (the start itself first when it matches the
 * rule, as RFC 5545 counts it), leaving out the exceptions; for the live preview.
 */
export function occurrenceDates(r: Recurrence, start: CivilDate, limit: number): CivilDate[] {
  const out: CivilDate[] = [];
  const until = r.end.kind === 'until' ? parseIsoDate(r.end.until) : null;
  const cap = r.end.kind === 'count' ? r.end.count : Infinity;
  const skip = new Set(r.exdates);
  let counted = 0;
  const take = (d: CivilDate): boolean => {
    if (compareDates(d, start) < 0) return true;
    if (until && compareDates(d, until) > 0) return false;
    if (counted >= cap) return false;
    counted++;
    if (!skip.has(isoDate(d))) out.push(d);
    return out.length < limit;
  };
  const interval = Math.max(1, r.interval);
  for (let step = 0; step < 2000; step++) {
    let candidates: CivilDate[];
    if (r.freq === 'DAILY') candidates = [addDays(start, step * interval)];
    else if (r.freq === 'WEEKLY') {
      const monday = addDays(start, -((weekday(start) + 6) % 7) + step * 7 * interval);
      const days = r.byDay.length ? r.byDay : [weekdayOf(start)];
      candidates = WEEKDAYS.map((d, i) => (days.includes(d) ? addDays(monday, i) : null)).filter((d): d is CivilDate => d !== null);
    } else if (r.freq === 'MONTHLY') {
      const months = start.month - 1 + step * interval;
      const year = start.year + Math.floor(months / 12);
      const month = (months % 12) + 1;
      const m = r.monthly;
      const d = m.kind === 'day' ? (m.day <= daysInMonth(year, month) ? {year, month, day: m.day} : null) : nthWeekday(year, month, m.nth, m.weekday);
      candidates = d ? [d] : [];
    } else {
      const year = start.year + step * interval;
      candidates = start.day <= daysInMonth(year, start.month) ? [{year, month: start.month, day: start.day}] : [];
    }
    for (const d of candidates) if (!take(d)) return out;
  }
  return out;
}

/** Problems with a rule, by editor field (`interval`, `count`, `until`, `byday`). */
export function checkRecurrence(r: Recurrence, start: CivilDate | null, maxCount: number): {param: string; message: string}[] {
  const errors: {param: string; message: string}[] = [];
  if (!Number.isInteger(r.interval) || r.interval < 1 || r.interval > 99) errors.push({param: 'recurrence.interval', message: 'Repeat every 1 to 99.'});
  if (r.freq === 'WEEKLY' && r.byDay.length === 0) errors.push({param: 'recurrence.byday', message: 'Pick at least one day of the week.'});
  if (r.end.kind === 'count' && (!Number.isInteger(r.end.count) || r.end.count < 1 || r.end.count > maxCount)) {
    errors.push({param: 'recurrence.count', message: `Choose between 1 and ${maxCount} times.`});
  }
  if (r.end.kind === 'until') {
    const until = parseIsoDate(r.end.until);
    if (!until) errors.push({param: 'recurrence.until', message: 'Enter the last date.'});
    else if (start && compareDates(until, start) < 0) errors.push({param: 'recurrence.until', message: 'The last date is before the first.'});
  }
  return errors;
}
