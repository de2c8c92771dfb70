/**
 * The account pages' routes, held in the URL fragment: every one starts with `#/` (`#/sign-in`,
 * `#/organizers/ID/team` ...). The map's own fragment links (`#zoom/lat/lon`, `#map=…`) never
 * start with `#/`, so the two never mistake each other's fragments, and the map's state stays in
 * the query string (`?map=…`) underneath an open page.
 *
 * Parsing never throws: an unknown or malformed route is `not-found`, a fragment that is not a
 * route at all is `null` (the map is shown).
 */

export type Route =
  | {name: 'sign-in'; next: string | null; error: string | null}
  | {name: 'sign-up'}
  | {name: 'verify'; token: string | null}
  | {name: 'reset'; token: string | null}
  | {name: 'account'}
  | {name: 'notifications'}
  | {name: 'tickets'}
  | {name: 'team'; organizerId: string}
  | {name: 'invitation'; token: string | null}
  | {name: 'organize'}
  | {name: 'my-events'; organizerId: string}
  | {name: 'event-new'; organizerId: string; venueId: string | null; copyOf: string | null}
  | {name: 'event-edit'; organizerId: string; eventId: string}
  | {name: 'event-sales'; organizerId: string; eventId: string}
  | {name: 'event-door'; organizerId: string; eventId: string}
  | {name: 'door'}
  | {name: 'venue-new'; organizerId: string}
  | {name: 'audit'; organizerId: string}
  | {name: 'import'; organizerId: string}
  | {name: 'not-found'};

/** The organizer pages: a chunk of their own inside the pages' chunk (they bring a map editor). */
export const ORGANIZER_ROUTES: readonly RouteName[] = ['organize', 'my-events', 'event-new', 'event-edit', 'event-sales', 'event-door', 'door', 'venue-new', 'audit', 'import'];

export type RouteName = Route['name'];

/** One-time tokens as the API issues them (base64url); anything else is not passed on. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ERROR_CODE = /^[a-z0-9_-]{1,40}$/i;

/** True when a fragment is one of ours (`#/…`), false for the map's and for none. */
export function isRouteHash(hash: string): boolean {
  return hash.startsWith('#/');
}

function token(value: string | null): string | null {
  return value !== null && TOKEN.test(value) ? value : null;
}

/** A place to go back to after signing in: only one of our own routes, never another site. */
export function safeNext(value: string | null): string | null {
  if (value === null || !isRouteHash(value) || value.startsWith('#/sign-in') || value.length > 300) return null;
  return /^#\/[A-Za-z0-9/_?=&.%-]*$/.test(value) ? value : null;
}

/** The route a fragment names, or null when it is not a route (empty, or a map position). */
export function parseRoute(hash: string): Route | null {
  if (!isRouteHash(hash)) return null;
  const text = hash.slice(2);
  const mark = text.indexOf('?');
  const path = (mark < 0 ? text : text.slice(0, mark)).replace(/\/+$/, '');
  const query = new URLSearchParams(mark < 0 ? '' : text.slice(mark + 1));
  const parts = path.split('/');
  if (parts.length === 2 && parts[0] === 'invitations') return {name: 'invitation', token: token(parts[1])};
  if (parts.length >= 3 && parts[0] === 'organizers') {
    if (!UUID.test(parts[1])) return {name: 'not-found'};
    const organizerId = parts[1].toLowerCase();
    const rest = parts.slice(2).join('/');
    const id = (value: string | null) => (value !== null && UUID.test(value) ? value.toLowerCase() : null);
    if (rest === 'team') return {name: 'team', organizerId};
    if (rest === 'events') return {name: 'my-events', organizerId};
    if (rest === 'events/new') return {name: 'event-new', organizerId, venueId: id(query.get('venue')), copyOf: id(query.get('from'))};
    if (rest === 'venues/new') return {name: 'venue-new', organizerId};
    if (rest === 'audit') return {name: 'audit', organizerId};
    if (rest === 'import') return {name: 'import', organizerId};
    if (parts.length === 5 && parts[2] === 'events' && UUID.test(parts[3])) {
      const eventId = parts[3].toLowerCase();
      if (parts[4] === 'edit') return {name: 'event-edit', organizerId, eventId};
      if (parts[4] === 'sales') return {name: 'event-sales', organizerId, eventId};
      if (parts[4] === 'door') return {name: 'event-door', organizerId, eventId};
    }
    return {name: 'not-found'};
  }
  if (parts.length !== 1) return {name: 'not-found'};
  switch (parts[0]) {
    case 'sign-in': {
      const error = query.get('error');
      return {name: 'sign-in', next: safeNext(query.get('next')), error: error && ERROR_CODE.test(error) ? error : null};
    }
    case 'sign-up':
      return {name: 'sign-up'};
    case 'verify':
      return {name: 'verify', token: token(query.get('token'))};
    case 'reset':
      return {name: 'reset', token: token(query.get('token'))};
    case 'account':
      return {name: 'account'};
    case 'notifications':
      return {name: 'notifications'};
    case 'tickets':
      return {name: 'tickets'};
    case 'invitation': // the link in invitation mails: #/invitation?token=…
      return {name: 'invitation', token: token(query.get('token'))};
    case 'organize':
      return {name: 'organize'};
    case 'door':
      return {name: 'door'};
    default:
      return {name: 'not-found'};
  }
}

/** The fragment of a route (the inverse of `parseRoute`). */
export function routeHash(route: Route): string {
  const withQuery = (path: string, params: Record<string, string | null>) => {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) q.set(key, value);
    const text = q.toString();
    return `#/${path}${text ? `?${text}` : ''}`;
  };
  switch (route.name) {
    case 'sign-in':
      return withQuery('sign-in', {next: route.next, error: route.error});
    case 'verify':
      return withQuery('verify', {token: route.token});
    case 'reset':
      return withQuery('reset', {token: route.token});
    case 'team':
      return `#/organizers/${route.organizerId}/team`;
    case 'my-events':
      return `#/organizers/${route.organizerId}/events`;
    case 'event-new':
      return withQuery(`organizers/${route.organizerId}/events/new`, {venue: route.venueId, from: route.copyOf});
    case 'event-edit':
      return `#/organizers/${route.organizerId}/events/${route.eventId}/edit`;
    case 'event-sales':
      return `#/organizers/${route.organizerId}/events/${route.eventId}/sales`;
    case 'event-door':
      return `#/organizers/${route.organizerId}/events/${route.eventId}/door`;
    case 'venue-new':
      return `#/organizers/${route.organizerId}/venues/new`;
    case 'audit':
      return `#/organizers/${route.organizerId}/audit`;
    case 'import':
      return `#/organizers/${route.organizerId}/import`;
    case 'invitation':
      return route.token ? `#/invitations/${route.token}` : '#/invitation';
    case 'not-found':
      return '#/not-found';
    default:
      return `#/${route.name}`;
  }
}

/** Routes that hold a secret in the URL: it is dropped from the address bar (and history) once read. */
export function withoutSecret(route: Route): Route | null {
  if ((route.name === 'verify' || route.name === 'reset' || route.name === 'invitation') && route.token) {
    return {...route, token: null};
  }
  return null;
}
