/**
 * The event form's data: checked as the server checks it (so mistakes show while typing, next to
 * their field, under the names the server's problem `param`s use), and turned into the
 * `POST /api/v1/events` / `PATCH` body. Pure, tested on its own; the server checks everything again.
 */
import type {FieldError} from '../lib/api';
import {CATEGORIES} from '../lib/categories';
import {currencyDigits} from '../lib/format';
import {inGap, isZone, localToInstant, parseLocal, wireLocal} from './localtime';
import {checkRecurrence, type Recurrence, toRRule} from './rrule';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 20_000;
/** The most occurrences a series may have (the server's configured maximum refuses more). */
export const MAX_OCCURRENCES = 520;

/** Checked before sending; the server's limit (413) is the one that counts. */
export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** What is wrong with a chosen image before sending it, or null. */
export function imageProblem(file: {type: string; size: number}): string | null {
  if (!IMAGE_TYPES.includes(file.type)) return 'This file is not an image the map can show: choose a JPEG, PNG or WebP.';
  if (file.size > IMAGE_MAX_BYTES) return `This image is ${(file.size / 1048576).toFixed(1)} MB; images can be up to ${IMAGE_MAX_BYTES / 1048576} MB.`;
  return null;
}

/** What the form holds, as typed (prices in major units: "12.50"). */
export interface EventDraft {
  title: string;
  description: string;
  category: string;
  venueId: string | null;
  timezone: string;
  startsAt: string; // datetime-local, the venue's wall clock
  endsAt: string;
  isFree: boolean;
  priceMin: string;
  priceMax: string;
  currency: string;
  capacity: string;
  approximate: boolean;
  recurrence: Recurrence | null;
}

export const EMPTY_DRAFT: EventDraft = {
  title: '',
  description: '',
  category: '',
  venueId: null,
  timezone: '',
  startsAt: '',
  endsAt: '',
  isFree: false,
  priceMin: '',
  priceMax: '',
  currency: '',
  capacity: '',
  approximate: false,
  recurrence: null,
};

/** An amount in major units ("12.5", "12,50") as minor units of `currency`; null when it is not one. */
export function parseMoney(text: string, currency: string): number | null {
  const value = text.trim().replace(',', '.');
  if (!/^\d{1,9}(\.\d+)?$/.test(value)) return null;
  const digits = /^[A-Z]{3}$/.test(currency) ? currencyDigits(currency) : 2;
  const [whole, fraction = ''] = value.split('.');
  if (fraction.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** Minor units back to what the form shows ("12.50", "1200" for JPY). */
export function formatMoneyInput(minor: number | null, currency: string | null): string {
  if (minor === null || minor === undefined) return '';
  const digits = currency && /^[A-Z]{3}$/.test(currency) ? currencyDigits(currency) : 2;
  return digits ? (minor / 10 ** digits).toFixed(digits) : String(minor);
}

/** Every problem with a draft, under the server's field names (`starts_at`, `price_min`…). */
export function checkDraft(d: EventDraft): FieldError[] {
  const errors: FieldError[] = [];
  const add = (param: string, message: string) => errors.push({param, message});
  const title = d.title.trim();
  if (!title) add('title', 'Enter a title.');
  else if (title.length > TITLE_MAX) add('title', `Keep the title to ${TITLE_MAX} characters (it has ${title.length}).`);
  if (d.description.length > DESCRIPTION_MAX) add('description', `Keep the description to ${DESCRIPTION_MAX} characters (it has ${d.description.length}).`);
  if (!CATEGORIES.some((c) => c.slug === d.category)) add('category', 'Choose a category.');
  if (!d.venueId) add('venue_id', 'Choose a venue, or pin a new one.');
  const zoneOk = isZone(d.timezone);
  if (!zoneOk) add('timezone', d.timezone ? `“${d.timezone}” is not a known time zone.` : 'Choose the time zone.');
  const start = parseLocal(d.startsAt);
  const end = parseLocal(d.endsAt);
  if (!start) add('starts_at', 'Enter when it starts.');
  if (!end) add('ends_at', 'Enter when it ends.');
  // The server refuses a wall-clock time the zone skips (the spring-forward gap).
  const gap = (name: string, value: string) => add(name, `${value.slice(11, 16)} does not exist in ${d.timezone} that night (clocks go forward): choose another time.`);
  if (start && zoneOk && inGap(d.startsAt, d.timezone)) gap('starts_at', d.startsAt);
  if (end && zoneOk && inGap(d.endsAt, d.timezone)) gap('ends_at', d.endsAt);
  if (start && end && zoneOk) {
    const a = localToInstant(d.startsAt, d.timezone)!;
    const b = localToInstant(d.endsAt, d.timezone)!;
    if (b.getTime() <= a.getTime()) add('ends_at', 'The end must be after the start.');
    else if (b.getTime() - a.getTime() > 30 * 86_400_000) add('ends_at', 'An event lasts at most 30 days; make a series for more.');
  }
  const currency = d.currency.trim().toUpperCase();
  if (!d.isFree) {
    const low = d.priceMin.trim() ? parseMoney(d.priceMin, currency) : null;
    const high = d.priceMax.trim() ? parseMoney(d.priceMax, currency) : null;
    if (d.priceMin.trim() && low === null) add('price_min', 'Enter a price like 12.50.');
    if (d.priceMax.trim() && high === null) add('price_max', 'Enter a price like 20.');
    if (low !== null && high !== null && low > high) add('price_max', 'The highest price is below the lowest.');
    if (high !== null && low === null && !d.priceMin.trim()) add('price_min', 'Enter the lowest price too.');
    if ((d.priceMin.trim() || d.priceMax.trim()) && !/^[A-Z]{3}$/.test(currency)) add('currency', 'A price needs its currency (EUR, USD…).');
    else if (currency && !/^[A-Z]{3}$/.test(currency)) add('currency', 'Use a three-letter currency code (EUR, USD…).');
  }
  if (d.capacity.trim() && !/^[1-9]\d{0,6}$/.test(d.capacity.trim())) add('capacity', 'Enter a whole number of places, or leave it empty.');
  if (d.recurrence && start) {
    for (const e of checkRecurrence(d.recurrence, start.date, MAX_OCCURRENCES)) add(e.param, e.message);
    for (const x of d.recurrence.exdates) {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(x) ? x : '';
      if (!day || day < d.startsAt.slice(0, 10)) add('recurrence.exdates', 'An exception is before the first occurrence.');
    }
  }
  return errors;
}

/** The fields of the body both create and update send. */
function common(d: EventDraft): Record<string, unknown> {
  const currency = d.currency.trim().toUpperCase();
  const priced = !d.isFree && (d.priceMin.trim() || d.priceMax.trim());
  const start = parseLocal(d.startsAt);
  return {
    title: d.title.trim(),
    description: d.description,
    category: d.category,
    starts_at: wireLocal(d.startsAt),
    ends_at: wireLocal(d.endsAt),
    timezone: d.timezone,
    is_free: d.isFree,
    price_min: priced && d.priceMin.trim() ? parseMoney(d.priceMin, currency) : null,
    price_max: priced && d.priceMax.trim() ? parseMoney(d.priceMax, currency) : null,
    currency: priced ? currency : null,
    capacity: d.capacity.trim() ? Number(d.capacity.trim()) : null,
    location_approximate: d.approximate,
    recurrence:
      d.recurrence && start
        ? {rrule: toRRule(d.recurrence, d.timezone), exdates: d.recurrence.exdates.map((x) => `${x}T${d.startsAt.slice(11, 16)}:00`)}
        : null,
  };
}

/** The `POST /api/v1/events` body (a draft). */
export function createBody(d: EventDraft, organizerId: string): Record<string, unknown> {
  const body: Record<string, unknown> = {organizer_id: organizerId, venue_id: d.venueId, ...common(d)};
  if (!body.recurrence) delete body.recurrence;
  return body;
}

/** The `PATCH /api/v1/events/{id}` body: only what differs from `before`. */
export function updateBody(d: EventDraft, before: EventDraft): Record<string, unknown> {
  const now = common(d);
  const then = common(before);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(now)) if (JSON.stringify(value) !== JSON.stringify(then[key])) out[key] = value;
  if (d.venueId !== before.venueId) out.venue_id = d.venueId;
  // Times travel with their zone: the server reads a local time in the zone it is given.
  if ('starts_at' in out || 'ends_at' in out || 'timezone' in out) {
    out.starts_at = now.starts_at;
    out.ends_at = now.ends_at;
    out.timezone = now.timezone;
  }
  return out;
}

/** Map a server `param` (`body.recurrence.rrule`, `recurrence.exdates.2`) to the form's field names. */
export function formParam(param: string | null): string | null {
  if (!param) return null;
  const p = param.replace(/^body\./, '');
  if (p.startsWith('recurrence.rrule') || p === 'recurrence') return 'recurrence.rule';
  if (p.startsWith('recurrence.exdates')) return 'recurrence.exdates';
  if (p === 'recurrence.count' || p === 'recurrence.until') return 'recurrence.end';
  if (p.startsWith('location')) return 'venue_id';
  return p;
}
