import {describe, expect, it} from 'vitest';
import {TEST_NOW} from '../test-clock';
import {existingVenue, toAudit, toPlace, toVenue} from './api';

describe('reading the organizer API’s answers', () => {
  it('runs at the pinned clock', () => {
    expect(new Date().toISOString()).toBe(TEST_NOW.toISOString());
  });

  it('reads places and venues with their point under location', () => {
    expect(toPlace({label: 'Lyon, FR', name: 'Lyon', location: {lat: 45.76, lon: 4.83}, timezone: 'Europe/Paris'})).toEqual({label: 'Lyon, FR', lat: 45.76, lon: 4.83, timezone: 'Europe/Paris'});
    expect(toPlace({name: 'Nowhere'})).toBeNull();
    const v = toVenue({id: 'v1', name: 'Le Périscope', location: {lat: 45.7, lon: 4.8}, timezone: 'Europe/Paris', address: ''});
    expect([v?.lat, v?.lon, v?.name]).toEqual([45.7, 4.8, 'Le Périscope']);
  });

  it('finds the venue a 409 names', () => {
    expect(existingVenue({status: 409, existing: {id: 'v1', name: 'Salle Rameau', distance_m: 11}})?.id).toBe('v1');
    expect(existingVenue({status: 409})).toBeNull();
  });

  it('reads audit entries whoever wrote them', () => {
    const entry = toAudit({changed_at: '2026-03-04T12:00:00Z', actor: {email: 'o@example.com'}, kind: 'published', event_id: 'e1', after: {title: 'Jazz'}, before: null});
    expect(entry).toMatchObject({at: '2026-03-04T12:00:00Z', who: 'o@example.com', action: 'published', eventId: 'e1', eventTitle: 'Jazz'});
    expect(toAudit({})).toBeNull();
  });
});
