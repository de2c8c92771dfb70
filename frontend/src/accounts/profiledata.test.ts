import {describe, expect, it} from 'vitest';
import {formOf, profilePatch} from './profiledata';
import type {Me} from '../lib/session';

const me: Me = {
  id: 'a',
  email: 'ada@example.com',
  email_verified: true,
  role: 'user',
  display_name: 'Ada',
  locale: 'en-GB',
  time_zone: 'Europe/London',
  units: 'metric',
  interests: ['music', 'arts'],
  home: {precision: 'area', lat: 51.5, lon: -0.12, cell: '87195da49ffffff', radius_m: 5000, consented_at: '2026-03-01T10:00:00Z'},
};

describe('the profile PATCH', () => {
  it('leaves the home out when it did not change, so its consent is not renewed', () => {
    const before = formOf(me);
    const body = profilePatch({...before, display_name: '  Ada L. '}, before);
    expect(body).toEqual({display_name: 'Ada L.', locale: 'en-GB', time_zone: 'Europe/London', units: 'metric', interests: ['arts', 'music']});
  });

  it('sends a changed home with explicit consent, its radius in metres', () => {
    const before = formOf({...me, home: null});
    const body = profilePatch({...before, consent: true, lat: '48.8566', lon: '2.3522', radius_km: '2.5', precision: 'exact'}, before);
    expect(body.home).toEqual({consent: true, lat: 48.8566, lon: 2.3522, radius_m: 2500, precision: 'exact'});
  });

  it('withdraws consent with home: null', () => {
    const before = formOf(me);
    expect(profilePatch({...before, consent: false}, before).home).toBeNull();
  });

  it('clears empty choices with null', () => {
    const before = formOf(me);
    const body = profilePatch({...before, display_name: '', locale: '', time_zone: '', interests: []}, before);
    expect(body).toMatchObject({display_name: null, locale: null, time_zone: null, interests: []});
  });
});
