import {describe, expect, it} from 'vitest';
import {isRouteHash, parseRoute, type Route, routeHash, safeNext, withoutSecret} from './router';
import {parseHashView, parseState} from './urlstate';

const TOKEN = 'Abc_def-0123456789xyzXYZ';
const ORG = '0b0c7f2e-5d0e-4c7a-9a53-1f1c2a9d8e7f';

describe('account routes', () => {
  it('names each page', () => {
    expect(parseRoute('#/sign-in')).toEqual({name: 'sign-in', next: null, error: null});
    expect(parseRoute('#/sign-up')).toEqual({name: 'sign-up'});
    expect(parseRoute(`#/verify?token=${TOKEN}`)).toEqual({name: 'verify', token: TOKEN});
    expect(parseRoute('#/reset')).toEqual({name: 'reset', token: null});
    expect(parseRoute(`#/reset?token=${TOKEN}`)).toEqual({name: 'reset', token: TOKEN});
    expect(parseRoute('#/account')).toEqual({name: 'account'});
    expect(parseRoute(`#/organizers/${ORG}/team`)).toEqual({name: 'team', organizerId: ORG});
    expect(parseRoute(`#/invitations/${TOKEN}`)).toEqual({name: 'invitation', token: TOKEN});
  });

  it('names the organizer pages', () => {
    const EV = '1a2b3c4d-0000-4000-8000-00000000abcd';
    expect(parseRoute('#/organize')).toEqual({name: 'organize'});
    expect(parseRoute('#/door')).toEqual({name: 'door'});
    expect(routeHash({name: 'door'})).toBe('#/door');
    expect(parseRoute(`#/organizers/${ORG}/events`)).toEqual({name: 'my-events', organizerId: ORG});
    expect(parseRoute(`#/organizers/${ORG}/events/new`)).toEqual({name: 'event-new', organizerId: ORG, venueId: null, copyOf: null});
    expect(parseRoute(`#/organizers/${ORG}/events/new?venue=${EV}&from=${EV}`)).toEqual({name: 'event-new', organizerId: ORG, venueId: EV, copyOf: EV});
    expect(parseRoute(`#/organizers/${ORG}/events/new?venue=nope`)).toEqual({name: 'event-new', organizerId: ORG, venueId: null, copyOf: null});
    expect(parseRoute(`#/organizers/${ORG}/events/${EV}/edit`)).toEqual({name: 'event-edit', organizerId: ORG, eventId: EV});
    expect(parseRoute(`#/organizers/${ORG}/events/${EV}/sales`)).toEqual({name: 'event-sales', organizerId: ORG, eventId: EV});
    expect(parseRoute(`#/organizers/${ORG}/events/${EV}/door`)).toEqual({name: 'event-door', organizerId: ORG, eventId: EV});
    expect(parseRoute(`#/organizers/${ORG}/events/${EV}/nope`)).toEqual({name: 'not-found'});
    expect(parseRoute(`#/organizers/${ORG}/venues/new`)).toEqual({name: 'venue-new', organizerId: ORG});
    expect(parseRoute(`#/organizers/${ORG}/audit`)).toEqual({name: 'audit', organizerId: ORG});
    expect(parseRoute(`#/organizers/${ORG}/events/nope/edit`)).toEqual({name: 'not-found'});
    expect(parseRoute(`#/organizers/${ORG}/whatever`)).toEqual({name: 'not-found'});
    for (const route of [parseRoute(`#/organizers/${ORG}/events/new?venue=${EV}`)!, parseRoute(`#/organizers/${ORG}/events/${EV}/edit`)!, parseRoute(`#/organizers/${ORG}/audit`)!, parseRoute(`#/organizers/${ORG}/events/${EV}/door`)!]) {
      expect(parseRoute(routeHash(route))).toEqual(route);
    }
  });

  it('reads the links the mails carry', () => {
    // app/accounts/messages.py and app/organizers/messages.py write these.
    expect(parseRoute(`#/verify?token=${TOKEN}`)).toEqual({name: 'verify', token: TOKEN});
    expect(parseRoute(`#/reset?token=${TOKEN}`)).toEqual({name: 'reset', token: TOKEN});
    expect(parseRoute(`#/invitation?token=${TOKEN}`)).toEqual({name: 'invitation', token: TOKEN});
  });

  it('round-trips through routeHash', () => {
    const routes: Route[] = [
      {name: 'sign-in', next: '#/account', error: null},
      {name: 'sign-in', next: null, error: 'denied'},
      {name: 'sign-up'},
      {name: 'verify', token: TOKEN},
      {name: 'reset', token: null},
      {name: 'account'},
      {name: 'team', organizerId: ORG},
      {name: 'invitation', token: TOKEN},
    ];
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
  });

  it('treats unknown and malformed routes as not found, never throwing', () => {
    expect(parseRoute('#/nope')).toEqual({name: 'not-found'});
    expect(parseRoute('#/organizers/not-a-uuid/team')).toEqual({name: 'not-found'});
    expect(parseRoute('#/account/extra')).toEqual({name: 'not-found'});
    expect(parseRoute('#/verify?token=%E0%A4%A')).toEqual({name: 'verify', token: null});
    expect(parseRoute('#/verify?token=<script>')).toEqual({name: 'verify', token: null});
    expect(parseRoute('#/invitations/short')).toEqual({name: 'invitation', token: null});
    expect(parseRoute('#/sign-in?error=<b>')).toEqual({name: 'sign-in', next: null, error: null});
  });

  it('leaves the map its own fragments', () => {
    for (const hash of ['', '#', '#12/40.7128/-74.0060', '#13/48.8566/2.3522/0/0', '#map=15/51.5/-0.12']) {
      expect(isRouteHash(hash)).toBe(false);
      expect(parseRoute(hash)).toBeNull();
    }
    expect(parseHashView('#12/40.7128/-74.0060')).toEqual({zoom: 12, lat: 40.7128, lon: -74.006});
    for (const hash of ['#/sign-in', `#/organizers/${ORG}/team`, `#/invitations/${TOKEN}`, '#/12/40/2']) {
      expect(parseHashView(hash)).toBeNull();
    }
    // A page open over the map keeps the map's state in the query string.
    expect(parseState('?map=12/48.85/2.35&cat=music', '#/account').map).toEqual({zoom: 12, lat: 48.85, lon: 2.35});
  });

  it('goes back after signing in only to a page of ours', () => {
    expect(safeNext('#/account')).toBe('#/account');
    expect(safeNext(`#/invitations/${TOKEN}`)).toBe(`#/invitations/${TOKEN}`);
    expect(safeNext('https://evil.example/')).toBeNull();
    expect(safeNext('//evil.example')).toBeNull();
    expect(safeNext('#/sign-in')).toBeNull();
    expect(safeNext('#/a"><img src=x>')).toBeNull();
    expect(parseRoute('#/sign-in?next=https%3A%2F%2Fevil.example')).toEqual({name: 'sign-in', next: null, error: null});
    expect(parseRoute('#/sign-in?next=%23%2Faccount')).toEqual({name: 'sign-in', next: '#/account', error: null});
  });

  it('drops one-time tokens once used', () => {
    expect(withoutSecret({name: 'verify', token: TOKEN})).toEqual({name: 'verify', token: null});
    expect(withoutSecret({name: 'account'})).toBeNull();
  });
});

describe('notifications route', () => {
  it('parses and prints #/notifications', () => {
    expect(parseRoute('#/notifications')).toEqual({name: 'notifications'});
    expect(routeHash({name: 'notifications'})).toBe('#/notifications');
  });
});

describe('tickets route', () => {
  it('parses and prints #/tickets', () => {
    expect(parseRoute('#/tickets')).toEqual({name: 'tickets'});
    expect(routeHash({name: 'tickets'})).toBe('#/tickets');
  });
});
