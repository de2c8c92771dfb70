/**
 * The venue's wall-clock time in `<input type="datetime-local">` form (`YYYY-MM-DDTHH:MM`) <-> the
 * instant it names there, and how to say it to someone elsewhere. The organizer types the time of
 * the place, whatever zone their own browser is in. Pure (Intl only).
 */
import {type CivilDate, parseIsoDate, wallTime, zonedToInstant} from '../lib/time';

export interface LocalDateTime {
  date: CivilDate;
  hour: number;
  minute: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-03-10T19:00` (seconds allowed and dropped); null when it is not a real date and time. */
export function parseLocal(text: string): LocalDateTime | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const date = parseIsoDate(m[1]);
  const hour = Number(m[2]);
  const minute = Number(m[3]);
  if (!date || hour > 23 || minute > 59) return null;
  return {date, hour, minute};
}

export function formatLocal(t: LocalDateTime): string {
  return `${pad(t.date.year, 4)}-${pad(t.date.month)}-${pad(t.date.day)}T${pad(t.hour)}:${pad(t.minute)}`;
}

/** Whether `zone` is an IANA time zone this browser knows. */
export function isZone(zone: string): boolean {
  if (!zone || zone !== zone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en', {timeZone: zone});
    return true;
  } catch {
    return false;
  }
}

/** The instant a local time names in `zone` (a time in a DST gap moves forward, as clocks do). */
export function localToInstant(text: string, zone: string): Date | null {
  const t = parseLocal(text);
  if (!t || !isZone(zone)) return null;
  return zonedToInstant(t.date, t.hour, t.minute, zone);
}

/** The local time (datetime-local form) at `instant` in `zone`. */
export function instantToLocal(instant: Date | string, zone: string): string {
  const w = wallTime(typeof instant === 'string' ? new Date(instant) : instant, zone);
  return formatLocal({date: {year: w.year, month: w.month, day: w.day}, hour: w.hour, minute: w.minute});
}

/** True when the wall time does not exist there (clocks jump over it that night). */
export function inGap(text: string, zone: string): boolean {
  const instant = localToInstant(text, zone);
  return instant !== null && instantToLocal(instant, zone) !== formatLocal(parseLocal(text)!);
}

/** The local time `minutes` later, in the same zone (across DST: the instant moves, the wall time follows). */
export function addMinutesLocal(text: string, minutes: number, zone: string): string | null {
  const instant = localToInstant(text, zone);
  return instant ? instantToLocal(new Date(instant.getTime() + minutes * 60_000), zone) : null;
}

/** The body's form of a local time: `2026-03-10T19:00:00` (no offset: the zone is sent beside it). */
export function wireLocal(text: string): string | null {
  const t = parseLocal(text);
  return t ? `${formatLocal(t)}:00` : null;
}

/**
 * How a local time reads: "Tue 10 Mar 2026, 19:00 (Europe/Paris)", plus the viewer's own time
 * when their zone shows another clock ("— 18:00 for you").
 */
export function describeLocal(text: string, zone: string, viewerZone: string, locale = 'en-GB'): string {
  const instant = localToInstant(text, zone);
  if (!instant) return '';
  const there = new Intl.DateTimeFormat(locale, {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: zone}).format(instant);
  let out = `${there} (${zone})`;
  if (isZone(viewerZone) && instantToLocal(instant, viewerZone) !== instantToLocal(instant, zone)) {
    const here = new Intl.DateTimeFormat(locale, {hour: '2-digit', minute: '2-digit', timeZone: viewerZone, ...(instantToLocal(instant, viewerZone).slice(0, 10) !== instantToLocal(instant, zone).slice(0, 10) ? {weekday: 'short'} : {})}).format(instant);
    out += ` — ${here} for you`;
  }
  return out;
}
