import {describe, expect, it} from 'vitest';
import {admit, decide, learnt, newState, parseStored, scanTime, scanTimeRefused, settled, syncQueue, syncResult, withList, type Pending} from './doorbook';
import type {CheckinList, ParsedCode} from './ticketcode';

const EVENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const OTHER = 'bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const T1 = '11111111-2222-4333-8444-555555555555';
const T2 = '22222222-2222-4333-8444-555555555555';
const T3 = '33333333-2222-4333-8444-555555555555';

const list: CheckinList = {
  event_id: EVENT,
  generated_at: '2030-03-14T09:26:53+00:00',
  public_key: 'k',
  tickets: [
    {id: T1, checked_in_at: null, door: null},
    {id: T2, checked_in_at: '2030-03-14T09:00:00+00:00', door: 'North'},
  ],
  next_cursor: null,
  signature: 's',
};
const code = (ticketId: string, eventId = EVENT): ParsedCode => ({ticketId, eventId, body: new Uint8Array(32), signature: new Uint8Array(64)});

describe('the decision at the door', () => {
  it('admits a listed ticket once, then refuses it saying when and where', () => {
    let state = newState(list);
    expect(decide(state, code(T1), true)).toEqual({kind: 'admit', ticketId: T1});
    state = admit(state, T1, 'HT1.one', 'South', '2030-03-14T10:00:00Z', true);
    expect(decide(state, code(T1), true)).toEqual({kind: 'used', ticketId: T1, door: 'South', at: '2030-03-14T10:00:00Z'});
    expect(state.pending).toEqual([{code: 'HT1.one', ticketId: T1, door: 'South', at: '2030-03-14T10:00:00Z'}]);
  });

  it('refuses what the list shows as used, a forged code, another event’s ticket, an unknown ticket and no code', () => {
    const state = newState(list);
    expect(decide(state, code(T2), true)).toMatchObject({kind: 'used', door: 'North'});
    expect(decide(state, code(T1), false)).toEqual({kind: 'forged'});
    expect(decide(state, code(T1, OTHER), true)).toMatchObject({kind: 'other-event', eventId: OTHER});
    expect(decide(state, code(T3), true)).toMatchObject({kind: 'not-on-list'});
    expect(decide(state, null, true)).toEqual({kind: 'not-a-code'});
  });

  it('does not queue an admission the server confirmed at once (online)', () => {
    expect(admit(newState(list), T1, 'c', 'South', 'now', false).pending).toEqual([]);
  });

  it('keeps queued admissions across a fresh list, and learns other doors', () => {
    let state = admit(newState(list), T1, 'c', 'South', '2030-03-14T10:00:00Z', true);
    state = withList(state, {...list, tickets: [{id: T1, checked_in_at: null, door: null}]});
    expect(decide(state, code(T1), true)).toMatchObject({kind: 'used', door: 'South'});
    state = learnt(state, T1, 'West', '2030-03-14T09:59:00Z');
    expect(decide(state, code(T1), true)).toMatchObject({kind: 'used', door: 'West'});
  });
});

describe('syncing the queue', () => {
  const p: Pending = {code: 'HT1.one', ticketId: T1, door: 'South', at: '2030-03-14T10:00:00Z'};

  it('reads the server’s answers', () => {
    expect(syncResult(p, 201, {door: 'South', checked_in_at: '2030-03-14T10:05:00Z'})).toMatchObject({kind: 'confirmed', at: '2030-03-14T10:05:00Z'});
    expect(syncResult(p, 409, {type: 'https://x/problems/already-checked-in', door: 'North', checked_in_at: '2030-03-14T09:58:00Z'})).toMatchObject({kind: 'conflict', door: 'North'});
    expect(syncResult(p, 409, {type: 'https://x/problems/ticket-void', detail: 'this ticket was cancelled or refunded'})).toMatchObject({kind: 'refused', reason: 'this ticket was cancelled or refunded'});
    for (const status of [0, 401, 503]) expect(syncResult(p, status, null)).toEqual({kind: 'retry'});
  });

  it('empties the queue in order, stops at the first that must wait, and takes the server’s word on conflicts', async () => {
    let state = admit(newState(list), T1, 'HT1.one', 'South', 'a', true);
    state = admit(state, T3, 'HT1.three', 'South', 'b', true);
    state = {...state, list: {...state.list, tickets: [...state.list.tickets, {id: T3, checked_in_at: null, door: null}]}};
    const answers = [{status: 409, body: {type: '/already-checked-in', door: 'North', checked_in_at: 'z'}}, {status: 0, body: null}];
    const seen: string[] = [];
    const after = await syncQueue(state, async () => answers.shift()!, (_, r) => seen.push(r.kind));
    expect(seen).toEqual(['conflict']);
    expect(after.pending.map((x) => x.ticketId)).toEqual([T3]);
    expect(decide(after, code(T1), true)).toMatchObject({kind: 'used', door: 'North', at: 'z'});
  });

  it('frees a ticket the server refused (void), and drops it from the queue', () => {
    const state = admit(newState(list), T1, 'HT1.one', 'South', 'a', true);
    const after = settled(state, {kind: 'refused', pending: state.pending[0], reason: 'void'});
    expect(after.pending).toEqual([]);
    expect(decide(after, code(T1), true)).toMatchObject({kind: 'admit'});
  });

  it('reads back only a stored state of the same event', () => {
    const state = admit(newState(list), T1, 'c', 'South', 'a', true);
    expect(parseStored(JSON.stringify(state), EVENT)).toEqual(state);
    expect(parseStored(JSON.stringify(state), OTHER)).toBeNull();
    expect(parseStored('{not json', EVENT)).toBeNull();
  });
});

describe('the time of an offline admission', () => {
  const p: Pending = {code: 'HT1.one', ticketId: T1, door: 'South', at: '2030-03-14T10:00:00Z'};
  it('goes with the sync while the server accepts it, and not once too old', () => {
    expect(scanTime(p, new Date('2030-03-14T12:00:00Z'))).toBe('2030-03-14T10:00:00Z');
    expect(scanTime(p, new Date('2030-03-16T10:00:00Z'))).toBeUndefined();
    expect(scanTime({...p, at: 'garbage'}, new Date('2030-03-14T12:00:00Z'))).toBeUndefined();
  });
  it('knows the refusal of a time from a clock that is too far off', () => {
    expect(scanTimeRefused(422, {type: 'https://x/problems/scan-time-out-of-range'})).toBe(true);
    expect(scanTimeRefused(422, {type: 'https://x/problems/invalid-ticket'})).toBe(false);
  });
});
