/** Dates in the event's own time zone, prices in minor units, distances: formatted for people. */
import {civilDate, type CivilDate} from './time';

export interface PriceFields {
  is_free: boolean;
  price_min: number | null;
  price_max?: number | null;
  currency: string | null;
}

function safeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en', {timeZone});
    return timeZone;
  } catch {
    return 'UTC';
  }
}

function zoneName(instant: Date, timeZone: string, locale: string): string {
  const part = new Intl.DateTimeFormat(locale, {timeZone, timeZoneName: 'short'})
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

const DAY: Intl.DateTimeFormatOptions = {weekday: 'short', day: 'numeric', month: 'short'};
const TIME: Intl.DateTimeFormatOptions = {hour: 'numeric', minute: '2-digit'};

/**
 * "Fri 28 Nov, 19:30" in the event's zone. When that zone is not the viewer's, the zone's name is
 * appended ("… 19:30 GMT+1") so nobody turns up an hour late.
 */
export function formatEventStart(iso: string, timeZone: string, locale: string, viewerZone: string): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return '';
  const tz = safeZone(timeZone);
  const text = new Intl.DateTimeFormat(locale, {...DAY, ...TIME, timeZone: tz}).format(instant);
  return sameOffset(instant, tz, viewerZone) ? text : `${text} ${zoneName(instant, tz, locale)}`;
}

/** Start and end, collapsing the end's date when it is the same day: "Fri 28 Nov, 19:30 – 23:00". */
export function formatEventRange(
  startIso: string,
  endIso: string | null,
  timeZone: string,
  locale: string,
  viewerZone: string,
): string {
  const start = new Date(startIso);
  const end = endIso ? new Date(endIso) : null;
  if (Number.isNaN(start.getTime())) return '';
  const tz = safeZone(timeZone);
  const startText = new Intl.DateTimeFormat(locale, {...DAY, ...TIME, timeZone: tz}).format(start);
  let text = startText;
  if (end && !Number.isNaN(end.getTime()) && end > start) {
    const sameDay = sameCivilDay(start, end, tz);
    const endText = new Intl.DateTimeFormat(locale, {...(sameDay ? {} : DAY), ...TIME, timeZone: tz}).format(end);
    text = `${startText} – ${endText}`;
  }
  const zone = zoneName(start, tz, locale);
  return sameOffset(start, tz, viewerZone) ? text : `${text} ${zone}`;
}

/** Just the time of day in the event's zone ("19:30"), for compact rows. */
export function formatTimeOfDay(iso: string, timeZone: string, locale: string): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return '';
  return new Intl.DateTimeFormat(locale, {...TIME, timeZone: safeZone(timeZone)}).format(instant);
}

function sameCivilDay(a: Date, b: Date, tz: string): boolean {
  const x = civilDate(a, tz);
  const y = civilDate(b, tz);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

function sameOffset(instant: Date, a: string, b: string): boolean {
  if (a === b) return true;
  const fmt = (tz: string) =>
    new Intl.DateTimeFormat('en-US', {timeZone: safeZone(tz), timeZoneName: 'longOffset'}).format(instant);
  return fmt(a).split(' ').pop() === fmt(b).split(' ').pop();
}

/** The event's local calendar date, where a calendar should show it. */
export function eventLocalDate(iso: string, timeZone: string): CivilDate {
  return civilDate(new Date(iso), safeZone(timeZone));
}

/** How many minor units a currency has (JPY 0, EUR 2, KWD 3). */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', {style: 'currency', currency}).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  const major = minor / 10 ** digits;
  const whole = Number.isInteger(major);
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: whole ? 0 : digits,
      maximumFractionDigits: digits,
    }).format(major);
  } catch {
    return `${major.toFixed(whole ? 0 : digits)} ${currency}`;
  }
}

/** "Free", "€12", "€12–30" (one currency symbol), "From €12", or "" when the price is unknown. */
export function formatPrice(p: PriceFields, locale: string): string {
  if (p.is_free) return 'Free';
  if (p.price_min === null || p.price_min === undefined || !p.currency) return '';
  const low = formatMoney(p.price_min, p.currency, locale);
  const max = p.price_max;
  if (max === null || max === undefined) return `From ${low}`;
  if (max === p.price_min) return low;
  const digits = currencyDigits(p.currency);
  const high = new Intl.NumberFormat(locale, {maximumFractionDigits: digits}).format(max / 10 ** digits);
  return `${low}–${high}`;
}

export function formatDistance(metres: number, locale: string): string {
  if (!Number.isFinite(metres) || metres < 0) return '';
  if (metres < 950) return `${new Intl.NumberFormat(locale).format(Math.max(10, Math.round(metres / 10) * 10))} m`;
  const km = metres / 1000;
  return `${new Intl.NumberFormat(locale, {maximumFractionDigits: km < 10 ? 1 : 0}).format(km)} km`;
}

export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}
