/**
 * The organizer side of the API (`/api/v1/venues`, `/events` writes, `/geocode`, `/organizers/{id}/…`),
 * through the signed-in session. Answers are read leniently (a page's next key may be `next_cursor`
 * or `next_after`; a place's name `label` or `name`) so small differences in shape do not break a page.
 */
import {ApiError, problemFrom} from '../lib/api';
import type {Session} from '../lib/session';
import type {SalesBucket} from './saleschart';
import type {CheckinList} from './door/ticketcode';

export interface OrgVenue {
  id: string;
  organizer_id?: string;
  name: string;
  address?: string | null;
  lat: number;
  lon: number;
  timezone: string;
}

export interface ImportEntry {
  uid: string;
  recurrence_id?: string | null;
  title: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'skipped' | 'cancelled';
  reason?: string | null;
  event_id?: string | null;
}

export interface ImportJob {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  error: string | null;
  progress: {total: number; processed: number; created: number; updated: number; unchanged: number; skipped: number; cancelled: number};
  report: ImportEntry[];
}

export interface Place {
  label: string;
  lat: number;
  lon: number;
  timezone: string | null;
}

export interface OrgEvent {
  id: string;
  organizer_id?: string;
  title: string;
  description?: string;
  category: string;
  status: string;
  starts_at: string;
  ends_at: string | null;
  /** The venue's wall-clock times (the organizer's answers carry them). */
  local_starts_at?: string | null;
  local_ends_at?: string | null;
  timezone: string;
  lat?: number;
  lon?: number;
  venue: {id: string; name: string; lat: number; lon: number} | null;
  venue_id?: string | null;
  series_id?: string | null;
  recurrence_id?: string | null;
  recurrence?: {rrule: string; exdates?: string[]} | null;
  is_free: boolean;
  price_min: number | null;
  price_max: number | null;
  currency: string | null;
  capacity?: number | null;
  image_url?: string | null;
  location_approximate?: boolean;
  occurrence_count?: number | null;
}

export interface AuditEntry {
  at: string;
  who: string;
  /** The account that acted, when the entry names it by id only. */
  actorId: string | null;
  entity: string;
  action: string;
  eventId: string | null;
  eventTitle: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Which dates of a series an edit or a cancellation touches. */
export type Scope = 'occurrence' | 'following' | 'series';

export interface Paged<T> {
  items: T[];
  next: string | null;
}

export interface Organizer {
  id: string;
  name: string;
  role: string | null;
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function paged<T>(body: unknown, map: (raw: Raw) => T | null): Paged<T> {
  const b = (body ?? {}) as Raw;
  const items = Array.isArray(b.items) ? b.items : Array.isArray(body) ? (body as unknown[]) : [];
  return {
    items: items.map((x) => map(x as Raw)).filter((x): x is T => x !== null),
    next: str(b.next_cursor) ?? str(b.next_after) ?? null,
  };
}

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

const json = (method: string, body: unknown): RequestInit => ({method, headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});

/** A point given as `location: {lat, lon}` or as top-level `lat`/`lon`. */
function pointOf(raw: Raw): {lat: number | null; lon: number | null} {
  const at = (raw.location && typeof raw.location === 'object' ? raw.location : raw) as Raw;
  return {lat: num(at.lat), lon: num(at.lon ?? at.lng)};
}

/** A venue as the API answers it (its point under `location`), with `lat`/`lon` at hand. */
export function toVenue(raw: Raw): OrgVenue | null {
  const {lat, lon} = pointOf(raw);
  const id = str(raw.id);
  if (!id) return null;
  return {...(raw as unknown as OrgVenue), id, name: str(raw.name) ?? '', lat: lat ?? NaN, lon: lon ?? NaN, timezone: str(raw.timezone) ?? ''};
}

export function toPlace(raw: Raw): Place | null {
  const {lat, lon} = pointOf(raw);
  if (lat === null || lon === null) return null;
  const label = str(raw.label) ?? str(raw.display_name) ?? str(raw.address) ?? str(raw.name) ?? `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  return {label, lat, lon, timezone: str(raw.timezone)};
}

/** A venue that is already there (the 409 answer to a duplicate), wherever the problem carries it. */
export function existingVenue(problem: Raw): OrgVenue | null {
  for (const key of ['existing', 'venue', 'existing_venue']) {
    const v = problem[key] as Raw | undefined;
    if (v && typeof v === 'object' && str(v.id)) return toVenue(v);
  }
  const id = str(problem.existing_id) ?? str(problem.venue_id);
  return id ? ({id, name: str(problem.name) ?? '', lat: NaN, lon: NaN, timezone: ''} as OrgVenue) : null;
}

export class VenueExists extends Error {
  constructor(
    readonly venue: OrgVenue,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export function toAudit(raw: Raw): AuditEntry | null {
  const at = str(raw.at) ?? str(raw.changed_at) ?? str(raw.created_at) ?? str(raw.occurred_at);
  if (!at) return null;
  const actor = (raw.actor ?? {}) as Raw;
  const who = str(actor.display_name) ?? str(actor.name) ?? str(actor.email) ?? str(raw.actor_name) ?? str(raw.actor_email) ?? str(raw.account_email) ?? (raw.actor_account_id === null ? 'The system' : 'A team member');
  const event = (raw.event ?? {}) as Raw;
  const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : null);
  const entity = str(raw.entity) ?? 'event';
  return {
    at,
    who,
    actorId: str(raw.actor_account_id) ?? str(actor.id),
    entity,
    action: str(raw.action) ?? str(raw.kind) ?? 'change',
    eventId: str(raw.event_id) ?? str(event.id) ?? (entity === 'event' ? str(raw.entity_id) : null),
    eventTitle: str(raw.event_title) ?? str(event.title) ?? str(obj(raw.after)?.title) ?? str(obj(raw.before)?.title) ?? str(obj(raw.after)?.name) ?? str(obj(raw.before)?.name),
    before: obj(raw.before),
    after: obj(raw.after),
  };
}

export interface TierSales {
  tier_id: string;
  name: string;
  price: number;
  currency: string;
  quota: number | null;
  sold: number;
  held: number;
  revenue: number;
  refunded: number;
  refunded_amount: number;
}

export interface Sales {
  event_id: string;
  timezone: string;
  bucket: 'hour' | 'day';
  tiers: TierSales[];
  buckets: SalesBucket[];
  truncated: boolean;
}

/** An attendee entry's status: an RSVP's answer, or a holder of tickets bought (one entry per tier). */
export type RsvpStatus = 'going' | 'interested' | 'not_going' | 'waitlisted' | 'ticket_holder';

export interface Attendee {
  account_id: string;
  email: string;
  display_name: string | null;
  status: RsvpStatus;
  answered_at: string;
  tier_name: string | null;
  tickets: number;
  checked_in: number;
}

/** The check-in lists a door downloads are read in pages of this many tickets, at most this many pages. */
const LIST_PAGE = 10_000;
const LIST_PAGES = 20;

export class OrganizerApi {
  constructor(private readonly session: Session) {}

  organizer(id: string): Promise<Organizer> {
    return this.session.json<Organizer>(`/api/v1/organizers/${id}`);
  }

  async organizers(): Promise<Organizer[]> {
    const body = await this.session.json<unknown>(`/api/v1/organizers?limit=100`);
    return paged(body, (r) => r as unknown as Organizer).items;
  }

  async venues(organizerId: string, after: string | null = null): Promise<Paged<OrgVenue>> {
    const body = await this.session.json<unknown>(`/api/v1/organizers/${organizerId}/venues?${query({limit: 100, cursor: after})}`);
    return paged(body, toVenue);
  }

  async venue(id: string): Promise<OrgVenue> {
    return toVenue(await this.session.json<Raw>(`/api/v1/venues/${id}`))!;
  }

  /** Create a venue; a same-named venue within 50 m throws `VenueExists` with that venue. */
  async createVenue(v: {organizer_id: string; name: string; lat: number; lon: number; address?: string | null; timezone?: string | null}): Promise<OrgVenue> {
    const body: Raw = {organizer_id: v.organizer_id, name: v.name, location: {lat: v.lat, lon: v.lon}};
    if (v.address) body.address = v.address;
    if (v.timezone) body.timezone = v.timezone;
    const response = await this.send('/api/v1/venues', json('POST', body));
    if (response.status === 409) {
      const problem = (await response.clone().json().catch(() => ({}))) as Raw;
      const venue = existingVenue(problem);
      if (venue) throw new VenueExists(venue, str(problem.detail) ?? 'A venue of that name is already there.');
    }
    if (!response.ok) throw await problemFrom(response);
    return toVenue((await response.json()) as Raw)!;
  }

  async geocode(q: string, signal?: AbortSignal): Promise<Place[]> {
    const body = await this.session.json<unknown>(`/api/v1/geocode?${query({q})}`, {signal});
    return paged(body, toPlace).items;
  }

  async reverse(lat: number, lon: number, signal?: AbortSignal): Promise<Place | null> {
    const body = (await this.session.json<unknown>(`/api/v1/geocode/reverse?${query({lat: lat.toFixed(6), lon: lon.toFixed(6)})}`, {signal})) as Raw;
    const inner = Array.isArray(body.items) ? (body.items[0] as Raw | undefined) : (body.place as Raw | undefined) ?? body;
    return inner ? toPlace(inner) : null;
  }

  /** One of the organizer's events, drafts too, as its members see it (found in the organizer's list). */
  async event(organizerId: string, id: string): Promise<OrgEvent> {
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const body: unknown = await this.session.json<unknown>(`/api/v1/organizers/${organizerId}/events?${query({limit: 200, cursor: after})}`);
      const found: Paged<OrgEvent> = paged(body, (r) => r as unknown as OrgEvent);
      const hit = found.items.find((e) => e.id === id);
      if (hit) return hit;
      after = found.next;
      if (!after) break;
    }
    throw new ApiError(404, 'Not found', 'There is no such event, or it is not one of this organizer’s.');
  }

  async members(organizerId: string): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const body = (await this.session.json<unknown>(`/api/v1/organizers/${organizerId}/members?limit=200`)) as Raw;
    for (const m of (Array.isArray(body.items) ? body.items : []) as Raw[]) {
      const id = str(m.account_id);
      if (id) names.set(id, str(m.display_name) ?? str(m.email) ?? 'A team member');
    }
    return names;
  }

  createEvent(body: Record<string, unknown>): Promise<OrgEvent> {
    return this.session.json<OrgEvent>('/api/v1/events', json('POST', body));
  }

  /** An edit; on an occurrence of a series, `scope` says which dates it changes. */
  updateEvent(id: string, body: Record<string, unknown>, scope: Scope | null = null): Promise<OrgEvent> {
    return this.session.json<OrgEvent>(`/api/v1/events/${id}${scope ? `?scope=${scope}` : ''}`, json('PATCH', body));
  }

  /** A status change: publish (draft or cancelled → published), unpublish (→ draft), cancel. */
  action(id: string, action: 'publish' | 'unpublish' | 'cancel', scope: Scope | null = null): Promise<OrgEvent> {
    return this.session.json<OrgEvent>(`/api/v1/events/${id}/${action}${scope ? `?scope=${scope}` : ''}`, {method: 'POST'});
  }

  async deleteEvent(id: string): Promise<void> {
    const response = await this.send(`/api/v1/events/${id}`, {method: 'DELETE'});
    if (!response.ok) throw await problemFrom(response);
  }

  async events(organizerId: string, after: string | null, status: string | null): Promise<Paged<OrgEvent>> {
    const body = await this.session.json<unknown>(`/api/v1/organizers/${organizerId}/events?${query({limit: 25, cursor: after, status})}`);
    return paged(body, (r) => r as unknown as OrgEvent);
  }

  /**
   * The dates of a series (`GET /events/{id}/occurrences`, with the series' RRULE); where the server
   * has no such route, the organizer's events of that series.
   */
  async occurrences(organizerId: string, ev: OrgEvent, after: string | null): Promise<Paged<OrgEvent> & {rrule: string | null}> {
    try {
      const body = (await this.session.json<unknown>(`/api/v1/events/${ev.id}/occurrences?${query({limit: 50, cursor: after})}`)) as Raw;
      return {...paged(body, (r) => r as unknown as OrgEvent), rrule: str(body.rrule)};
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405) || !ev.series_id) throw error;
    }
    const items: OrgEvent[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const body: unknown = await this.session.json<unknown>(`/api/v1/organizers/${organizerId}/events?${query({limit: 200, cursor})}`);
      const found: Paged<OrgEvent> = paged(body, (r) => r as unknown as OrgEvent);
      items.push(...found.items.filter((e) => e.series_id === ev.series_id));
      cursor = found.next;
      if (!cursor) break;
    }
    return {items, next: null, rrule: await this.seriesRule(organizerId, ev.series_id)};
  }

  /** A series' RRULE as its latest audit entry holds it (for servers without the occurrences route). */
  private async seriesRule(organizerId: string, seriesId: string): Promise<string | null> {
    try {
      const page = await this.audit(organizerId, null, seriesId, 1);
      const entry = page.items[0];
      return str(entry?.after?.rrule) ?? str(entry?.before?.rrule);
    } catch {
      return null;
    }
  }

  async audit(organizerId: string, after: string | null, entityId: string | null = null, limit = 50): Promise<Paged<AuditEntry>> {
    const body = await this.session.json<unknown>(`/api/v1/organizers/${organizerId}/audit?${query({limit, cursor: after, entity_id: entityId})}`);
    return paged(body, toAudit);
  }

  /** Upload an event's image (multipart `image`); 413 and 415/422 come back as `ApiError`s. */
  async uploadImage(id: string, file: File): Promise<unknown> {
    const data = new FormData();
    data.append('image', file, file.name);
    const response = await this.send(`/api/v1/events/${id}/image`, {method: 'POST', body: data});
    if (!response.ok) throw await problemFrom(response);
    return response.json();
  }

  /** Start an import: a calendar file (multipart `file`) or a URL (JSON); the answer is the queued job. */
  async startImport(organizerId: string, source: {file: File} | {url: string; subscribe: boolean}, publish: boolean): Promise<ImportJob> {
    const url = `/api/v1/organizers/${organizerId}/imports`;
    let init: RequestInit;
    if ('file' in source) {
      const data = new FormData();
      data.append('file', source.file, source.file.name);
      data.append('publish', publish ? 'true' : 'false');
      init = {method: 'POST', body: data};
    } else {
      init = {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({url: source.url, subscribe: source.subscribe, publish})};
    }
    const response = await this.send(url, init);
    if (!response.ok) throw await problemFrom(response);
    return (await response.json()) as ImportJob;
  }

  async importJob(id: string): Promise<ImportJob> {
    return this.session.json<ImportJob>(`/api/v1/imports/${id}?limit=1000`);
  }

  sales(eventId: string, bucket: 'hour' | 'day'): Promise<Sales> {
    return this.session.json<Sales>(`/api/v1/events/${eventId}/sales?bucket=${bucket}`);
  }

  async attendees(eventId: string, filter: {q: string; status: RsvpStatus | ''}, cursor: string | null): Promise<Paged<Attendee>> {
    const body = await this.session.json<unknown>(`/api/v1/events/${eventId}/attendees?${query({q: filter.q.trim(), status: filter.status, limit: 100, cursor})}`);
    return paged(body, (r) => r as unknown as Attendee);
  }

  /** The attendee list as CSV (the same filter), as a file to save. */
  async attendeesCsv(eventId: string, filter: {q: string; status: RsvpStatus | ''}): Promise<Blob> {
    const response = await this.send(`/api/v1/events/${eventId}/attendees.csv?${query({q: filter.q.trim(), status: filter.status})}`, {});
    if (!response.ok) throw await problemFrom(response);
    return response.blob();
  }

  /** Every page of the event's signed check-in list (each page is signed on its own). */
  async checkinList(eventId: string): Promise<CheckinList[]> {
    const pages: CheckinList[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < LIST_PAGES; i++) {
      const page: CheckinList = await this.session.json<CheckinList>(`/api/v1/events/${eventId}/checkin-list?${query({limit: LIST_PAGE, cursor})}`);
      pages.push(page);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return pages;
  }

  /** Admit a ticket at a door: the status and problem body as they came (0 when the network failed). */
  /** Admit a ticket; `scannedAt` is when this door admitted it offline (recorded as the check-in time). */
  async checkin(code: string, door: string, eventId: string, scannedAt?: string): Promise<{status: number; body: Record<string, unknown> | null}> {
    let response: Response;
    try {
      const body = scannedAt ? {code, door, event_id: eventId, scanned_at: scannedAt} : {code, door, event_id: eventId};
      response = await this.send('/api/v1/checkins', json('POST', body));
    } catch (error) {
      if (error instanceof ApiError) return {status: error.status, body: {detail: error.detail}};
      return {status: 0, body: null};
    }
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    return {status: response.status, body};
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    return this.session.fetch(url, init);
  }
}
