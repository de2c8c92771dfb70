/**
 * What one door knows: the event's signed check-in list, the admissions made here, and the queue of
 * admissions made while offline that the server has not confirmed yet.
 *
 * The decision at the door is pure (`decide`): a code that is no ticket code, a forged signature, a
 * ticket of another event, one the list (or this door) knows as used, and one the list does not know
 * are refused; anything else is admitted. The server stays the judge across doors: an admission made
 * offline is sent with `POST /checkins` when the network is back, and the server may answer that
 * another door admitted the ticket first — that answer is shown, and the ticket is marked used with
 * the other door's time and name.
 */
import type {CheckinList, ParsedCode} from './ticketcode';

export interface Entry {
  checkedInAt: string | null;
  door: string | null;
}

export interface Pending {
  code: string;
  ticketId: string;
  door: string;
  /** When this door admitted it (ISO), before the server knew. */
  at: string;
}

export type Verdict =
  | {kind: 'admit'; ticketId: string}
  | {kind: 'not-a-code'}
  | {kind: 'forged'}
  | {kind: 'other-event'; ticketId: string; eventId: string}
  | {kind: 'used'; ticketId: string; door: string; at: string}
  | {kind: 'not-on-list'; ticketId: string};

/** What the server said about one queued admission. */
export type SyncResult =
  | {kind: 'confirmed'; pending: Pending; at: string; door: string}
  | {kind: 'conflict'; pending: Pending; at: string; door: string}
  | {kind: 'refused'; pending: Pending; reason: string}
  | {kind: 'retry'};

export interface DoorState {
  eventId: string;
  list: CheckinList;
  /** Admissions of this door and others learnt since the list was fetched, by ticket id. */
  seen: Record<string, Entry>;
  pending: Pending[];
}

export function newState(list: CheckinList): DoorState {
  return {eventId: list.event_id, list, seen: {}, pending: []};
}

/** The list's entries merged with what this door learnt since (its own admissions, server answers). */
export function entryOf(state: DoorState, ticketId: string): Entry | null {
  const seen = state.seen[ticketId];
  if (seen) return seen;
  const listed = state.list.tickets.find((t) => t.id === ticketId);
  return listed ? {checkedInAt: listed.checked_in_at, door: listed.door} : null;
}

/** The door's decision for a scanned or typed code, given whether its signature checked. */
export function decide(state: DoorState, code: ParsedCode | null, signatureOk: boolean): Verdict {
  if (!code) return {kind: 'not-a-code'};
  if (!signatureOk) return {kind: 'forged'};
  if (code.eventId !== state.eventId) return {kind: 'other-event', ticketId: code.ticketId, eventId: code.eventId};
  const entry = entryOf(state, code.ticketId);
  if (!entry) return {kind: 'not-on-list', ticketId: code.ticketId};
  if (entry.checkedInAt) return {kind: 'used', ticketId: code.ticketId, door: entry.door ?? '?', at: entry.checkedInAt};
  return {kind: 'admit', ticketId: code.ticketId};
}

/** Mark the ticket used here; offline, queue it for the server. */
export function admit(state: DoorState, ticketId: string, code: string, door: string, at: string, offline: boolean): DoorState {
  const pending = offline ? [...state.pending, {code, ticketId, door, at}] : state.pending;
  return {...state, seen: {...state.seen, [ticketId]: {checkedInAt: at, door}}, pending};
}

/** What another door (or the server) says about a ticket: it was used then, there. */
export function learnt(state: DoorState, ticketId: string, door: string, at: string): DoorState {
  return {...state, seen: {...state.seen, [ticketId]: {checkedInAt: at, door}}};
}

/** A fresh list replaces the old; what this door still has queued stays used and queued. */
export function withList(state: DoorState, list: CheckinList): DoorState {
  const seen: Record<string, Entry> = {};
  for (const p of state.pending) seen[p.ticketId] = {checkedInAt: p.at, door: p.door};
  return {...state, list, seen};
}

/** The server takes an offline scan's time if it is at most this old (and not ahead of its clock by
 *  more than two minutes); an admission queued longer is sent without it (the sync's time is kept). */
export const SCAN_MAX_AGE_MS = 48 * 3600_000;

/** The `scanned_at` to send with a queued admission, or undefined when the server would refuse it. */
export function scanTime(pending: Pending, now: Date): string | undefined {
  const at = Date.parse(pending.at);
  return Number.isFinite(at) && now.getTime() - at < SCAN_MAX_AGE_MS - 60_000 ? pending.at : undefined;
}

/** A 422 that says the door's clock disagrees too much with the server's: send again without the time. */
export function scanTimeRefused(status: number, body: Record<string, unknown> | null): boolean {
  return status === 422 && typeof body?.type === 'string' && body.type.endsWith('/scan-time-out-of-range');
}

/** The server's answer to `POST /checkins` as a sync result (a status of 0: no answer, the network). */
export function syncResult(pending: Pending, status: number, body: Record<string, unknown> | null): SyncResult {
  const text = (key: string) => (body && typeof body[key] === 'string' ? (body[key] as string) : null);
  if (status === 201) return {kind: 'confirmed', pending, at: text('checked_in_at') ?? pending.at, door: text('door') ?? pending.door};
  const type = text('type') ?? '';
  if (status === 409 && type.endsWith('/already-checked-in')) {
    return {kind: 'conflict', pending, at: text('checked_in_at') ?? pending.at, door: text('door') ?? '?'};
  }
  if (status === 0 || status === 401 || status === 408 || status === 429 || status >= 500) return {kind: 'retry'};
  return {kind: 'refused', pending, reason: text('detail') ?? text('title') ?? `refused (${status})`};
}

/** The state once a sync result is known: confirmed and refused leave the queue; a conflict leaves
 * it and the ticket takes the other door's time and name. */
export function settled(state: DoorState, result: SyncResult): DoorState {
  if (result.kind === 'retry') return state;
  const pending = state.pending.filter((p) => p !== result.pending && p.code !== result.pending.code);
  const seen = {...state.seen};
  if (result.kind === 'refused') delete seen[result.pending.ticketId];
  else seen[result.pending.ticketId] = {checkedInAt: result.at, door: result.door};
  return {...state, pending, seen};
}

/** Sends each queued admission in order (`send` answers a status and body, or status 0 when the
 * network is gone); stops at the first that must be retried. */
export async function syncQueue(
  state: DoorState,
  send: (p: Pending) => Promise<{status: number; body: Record<string, unknown> | null}>,
  onResult: (state: DoorState, result: SyncResult) => void,
): Promise<DoorState> {
  let current = state;
  for (const pending of state.pending) {
    const {status, body} = await send(pending);
    const result = syncResult(pending, status, body);
    if (result.kind === 'retry') break;
    current = settled(current, result);
    onResult(current, result);
  }
  return current;
}

/** The state as stored (localStorage), or null when what is stored is not a door's state. */
export function parseStored(text: string | null, eventId: string): DoorState | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as DoorState;
    if (value.eventId !== eventId || !value.list || !Array.isArray(value.list.tickets) || !Array.isArray(value.pending)) return null;
    return {...value, seen: value.seen ?? {}};
  } catch {
    return null;
  }
}
