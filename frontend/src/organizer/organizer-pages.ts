/**
 * The organizer pages (a chunk of their own): which organizer (`#/organize`), its events
 * (`#/organizers/ID/events`), a new or edited event, its attendees and sales, the door scanner (and
 * `#/door`, the events a person checks tickets for), pinning a
 * venue, and the log of changes.
 */
import './organizer.css';
import type {Page, PageContext} from '../accounts/pages';
import {errorText, signedIn} from '../accounts/common';
import {routeHash, type Route} from '../lib/router';
import {h} from '../ui/dom';
import {OrganizerApi} from './api';
import {auditPage} from './audit';
import {eventFormPage} from './eventform';
import {importPage} from './imports';
import {myEventsPage} from './myevents';
import {venuePage} from './venue';
import {salesPage} from './sales';
import {doorListKept, doorPage} from './door/door';
import {doorEventsPage} from './door/doorevents';

export interface OrganizerContext extends PageContext {
  api: OrganizerApi;
}

export function organizerPage(ctx: PageContext, route: Route, signal: AbortSignal): Page {
  const octx: OrganizerContext = {...ctx, api: new OrganizerApi(ctx.session)};
  const root = h('div', {class: 'page-sections organizer'}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  let inner: Page | null = null;
  void (async () => {
    await ctx.session.ready;
    // Offline, nobody can be signed in: a door that has the event's list still checks tickets.
    const offlineDoor = route.name === 'event-door' && !ctx.session.account && !navigator.onLine && doorListKept(route.eventId);
    const me = offlineDoor || (await signedIn(ctx, routeHash(route)));
    if (!me || signal.aborted) return;
    try {
      switch (route.name) {
        case 'organize':
          inner = await organizePage(octx);
          break;
        case 'my-events':
          inner = await myEventsPage(octx, route.organizerId, signal);
          break;
        case 'event-new':
          inner = await eventFormPage(octx, route.organizerId, {venueId: route.venueId, copyOf: route.copyOf, eventId: null}, signal);
          break;
        case 'event-edit':
          inner = await eventFormPage(octx, route.organizerId, {venueId: null, copyOf: null, eventId: route.eventId}, signal);
          break;
        case 'event-sales':
          inner = await salesPage(octx, route.organizerId, route.eventId);
          break;
        case 'event-door':
          inner = await doorPage(octx, route.organizerId, route.eventId, signal);
          break;
        case 'door':
          inner = await doorEventsPage(octx);
          break;
        case 'venue-new':
          inner = await venuePage(octx, route.organizerId, signal);
          break;
        case 'audit':
          inner = await auditPage(octx, route.organizerId);
          break;
        case 'import':
          inner = importPage(octx, route.organizerId, signal);
          break;
        default:
          return;
      }
      if (signal.aborted) {
        inner.dispose?.();
        return;
      }
      const heading = document.getElementById('page-title');
      if (heading && inner.title) heading.textContent = inner.title;
      document.title = `${inner.title} — Happenings`;
      root.replaceChildren(...inner.body);
    } catch (error) {
      root.replaceChildren(h('p', {role: 'alert'}, `This page could not be loaded: ${errorText(error)}`), h('p', {}, h('a', {href: '#/organize'}, 'Your organizers')));
    }
  })();
  return {title: '', body: [root], dispose: () => inner?.dispose?.()};
}

/** `#/organize`: the organizers the person may publish for; with one, straight to its events. */
async function organizePage(ctx: OrganizerContext): Promise<Page> {
  const all = await ctx.api.organizers();
  const writable = all.filter((o) => o.role === 'owner' || o.role === 'editor');
  if (writable.length === 1) {
    ctx.replace(routeHash({name: 'my-events', organizerId: writable[0].id}));
    return {title: 'Organize events', body: []};
  }
  const body = writable.length
    ? [h('p', {}, 'Choose the organizer to publish for.'), h('ul', {class: 'items'}, ...writable.map((o) => h('li', {class: 'item'}, h('a', {href: routeHash({name: 'my-events', organizerId: o.id})}, o.name))))]
    : [h('p', {}, 'To publish events, start an organizer or join one’s team as an editor.'), h('p', {}, h('a', {class: 'btn btn-primary', href: '#/account'}, 'Start an organizer'))];
  // A checker has nothing to edit here; the door is one link away.
  if (all.some((o) => o.role === 'checker')) body.push(h('p', {}, h('a', {href: routeHash({name: 'door'})}, 'Check tickets at the door')));
  return {title: 'Organize events', body};
}
