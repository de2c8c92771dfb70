/**
 * `#/organizers/ID/events`: the organizer's events with their status, a series' occurrences on
 * demand, and the quick actions: edit, publish, unpublish, cancel, duplicate (the form, prefilled),
 * delete while a draft, and "see it on the map".
 */
import {formatEventRange} from '../lib/format';
import {routeHash} from '../lib/router';
import {viewerTimeZone} from '../lib/time';
import {DEFAULT_STATE, serializeState} from '../lib/urlstate';
import {h} from '../ui/dom';
import {askTwice, errorText, PagedList} from '../accounts/common';
import {section} from '../accounts/forms';
import type {Page} from '../accounts/pages';
import type {OrgEvent, Scope} from './api';
import type {OrganizerContext} from './organizer-pages';
import {describe, parseRRule} from './rrule';
import {instantToLocal, parseLocal} from './localtime';

const LOCALE = navigator.language || 'en';
const VIEWER_ZONE = viewerTimeZone();

export const STATUS_NAMES: Record<string, string> = {draft: 'Draft', published: 'Published', cancelled: 'Cancelled'};
const FILTERS: [string, string][] = [
  ['', 'All'],
  ['draft', 'Drafts'],
  ['published', 'Published'],
  ['cancelled', 'Cancelled'],
];

/** "Every Tuesday, 10 times" for a series, or null. */
export function seriesWords(e: Pick<OrgEvent, 'recurrence' | 'starts_at' | 'timezone'>): string | null {
  if (!e.recurrence?.rrule) return null;
  const start = parseLocal(instantToLocal(e.starts_at, e.timezone));
  const rule = start ? parseRRule(e.recurrence.rrule, e.timezone, start.date) : null;
  return rule && start ? describe(rule, start.date) : `Repeats (${e.recurrence.rrule})`;
}

/** Open the map on an event: its place, zoomed in, with its detail open. */
export function showOnMap(e: OrgEvent): void {
  const at = e.venue ?? (typeof e.lat === 'number' && typeof e.lon === 'number' ? {lat: e.lat, lon: e.lon} : null);
  const state = {...DEFAULT_STATE, event: e.id, ...(at ? {map: {zoom: 15, lat: at.lat, lon: at.lon}} : {})};
  history.pushState(null, '', `${location.pathname}${serializeState(state)}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

function statusTag(status: string): HTMLElement {
  return h('span', {class: `tag status status-${status}`}, STATUS_NAMES[status] ?? status);
}

export async function myEventsPage(ctx: OrganizerContext, organizerId: string, signal: AbortSignal): Promise<Page> {
  const [organizer, venuePage] = await Promise.all([ctx.api.organizer(organizerId), ctx.api.venues(organizerId)]);
  const venues = new Map(venuePage.items.map((v) => [v.id, v]));
  /** The organizer's answers name the venue by id: give the row its name and point. */
  const withVenue = (e: OrgEvent): OrgEvent => {
    const v = e.venue ?? (e.venue_id ? venues.get(e.venue_id) : undefined);
    return {...e, venue: v ? {id: v.id, name: v.name, lat: v.lat, lon: v.lon} : null};
  };
  const status = h('p', {class: 'form-status', role: 'status', 'aria-live': 'polite'});
  const problem = h('div', {class: 'form-alert', role: 'alert', hidden: true});
  let filter = '';
  const say = (text: string) => {
    problem.hidden = true;
    status.textContent = text;
  };
  const fail = (error: unknown) => {
    status.textContent = '';
    problem.replaceChildren(h('p', {}, errorText(error)));
    problem.hidden = false;
  };

  // A series is one row (its first date in the list); its dates open under it.
  const shownSeries = new Set<string>();
  const seriesDates = new Map<string, ReturnType<typeof ctx.api.occurrences>>();
  const datesOf = (ev: OrgEvent) => {
    const key = ev.series_id ?? ev.id;
    let found = seriesDates.get(key);
    if (!found) {
      found = ctx.api.occurrences(organizerId, ev, null);
      found.catch(() => seriesDates.delete(key));
      seriesDates.set(key, found);
    }
    return found;
  };
  const list = new PagedList<OrgEvent>(
    'Your events',
    async (after) => {
      if (after === null) {
        shownSeries.clear();
        seriesDates.clear();
      }
      const page = await ctx.api.events(organizerId, after, filter || null);
      const items = page.items.filter((e) => {
        if (!e.series_id) return true;
        if (shownSeries.has(e.series_id)) return false;
        shownSeries.add(e.series_id);
        return true;
      });
      return {...page, items: items.map(withVenue)};
    },
    (e) => row(e),
    'No events here yet. Start with “New event”.',
  );

  function row(e: OrgEvent): HTMLElement {
    const li = h('li', {class: 'item org-event', 'data-id': e.id});
    const draw = (ev: OrgEvent) => {
      const words = seriesWords(ev) ?? (ev.series_id ? 'Repeats' : null);
      const actions = h('div', {class: 'row-actions org-actions'});
      const edit = h('a', {class: 'btn btn-secondary', href: routeHash({name: 'event-edit', organizerId, eventId: ev.id})}, 'Edit', h('span', {class: 'sr-only'}, ` ${ev.title}`));
      const copy = h('a', {class: 'btn btn-secondary', href: routeHash({name: 'event-new', organizerId, venueId: ev.venue?.id ?? null, copyOf: ev.id})}, 'Duplicate', h('span', {class: 'sr-only'}, ` ${ev.title}`));
      actions.append(edit);
      if (ev.status !== 'draft') {
        const sales = h('a', {class: 'btn btn-secondary', href: routeHash({name: 'event-sales', organizerId, eventId: ev.id})}, 'Attendees and sales', h('span', {class: 'sr-only'}, ` of ${ev.title}`));
        const door = h('a', {class: 'btn btn-secondary', href: routeHash({name: 'event-door', organizerId, eventId: ev.id})}, 'Door', h('span', {class: 'sr-only'}, ` check-in for ${ev.title}`));
        actions.append(sales, door);
      }
      const act = (label: string, run: () => Promise<OrgEvent>, done: string, cls = 'btn btn-secondary') => {
        const b = h('button', {type: 'button', class: cls}, label, h('span', {class: 'sr-only'}, ` ${ev.title}`));
        b.addEventListener('click', async () => {
          b.disabled = true;
          try {
            const updated = await run();
            draw(withVenue({...ev, ...updated, status: updated?.status ?? ev.status}));
            say(done);
            li.querySelector<HTMLElement>('.org-title')?.focus();
          } catch (error) {
            b.disabled = false;
            fail(error);
          }
        });
        return b;
      };
      if (ev.status === 'draft') actions.append(act('Publish', () => ctx.api.action(ev.id, 'publish'), `${ev.title} is published.`, 'btn btn-primary'));
      if (ev.status === 'cancelled') actions.append(act('Publish again', () => ctx.api.action(ev.id, 'publish'), `${ev.title} is published again.`));
      if (ev.status === 'published') {
        actions.append(act('Unpublish', () => ctx.api.action(ev.id, 'unpublish'), `${ev.title} is back to draft: only your team sees it.`));
        const cancels: [string, Scope | null, string][] = ev.series_id
          ? [
              ['Cancel this date', 'occurrence', `Cancel ${ev.title} on this date? It stays on the map, marked cancelled.`],
              ['Cancel the series', 'series', `Cancel every date of ${ev.title} from now on? They stay on the map, marked cancelled.`],
            ]
          : [['Cancel event', null, `Cancel ${ev.title}? It stays on the map, marked cancelled.`]];
        for (const [label, scope, question] of cancels) {
          const cancel = h('button', {type: 'button', class: 'btn btn-danger-outline'}, label, h('span', {class: 'sr-only'}, ` ${ev.title}`));
          askTwice(
            cancel,
            question,
            'Yes, cancel',
            async () => {
              const updated = await ctx.api.action(ev.id, 'cancel', scope);
              seriesDates.delete(ev.series_id ?? ev.id);
              draw(withVenue({...ev, ...updated, status: updated?.status ?? 'cancelled'}));
              say(`${ev.title} is cancelled${scope === 'series' ? ' (every date from now on)' : ''}.`);
            },
            fail,
          );
          actions.append(cancel);
        }
      }
      actions.append(copy);
      if (ev.status === 'draft') {
        const del = h('button', {type: 'button', class: 'btn btn-danger-outline'}, 'Delete', h('span', {class: 'sr-only'}, ` ${ev.title}`));
        askTwice(
          del,
          `Delete the draft ${ev.title}?`,
          'Yes, delete',
          async () => {
            await ctx.api.deleteEvent(ev.id);
            li.remove();
            say(`${ev.title} is deleted.`);
          },
          fail,
        );
        actions.append(del);
      }
      if (ev.status !== 'draft') {
        const see = h('button', {type: 'button', class: 'btn btn-link'}, 'See it on the map');
        see.addEventListener('click', () => showOnMap(ev));
        actions.append(see);
      }
      const parts: (HTMLElement | null)[] = [
        h('div', {class: 'org-head'}, h('a', {class: 'org-title', href: routeHash({name: 'event-edit', organizerId, eventId: ev.id})}, ev.title), statusTag(ev.status)),
        h('p', {class: 'muted org-when'}, formatEventRange(ev.starts_at, ev.ends_at, ev.timezone, LOCALE, VIEWER_ZONE), ev.venue ? ` · ${ev.venue.name}` : ''),
        words ? seriesLine(ev, words) : null,
        words || ev.series_id ? occurrencesToggle(ev) : null,
        actions,
      ];
      li.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
    };
    draw(e);
    return li;
  }

  /** "Every Wednesday, 10 times": from the series' RRULE, once its dates are known. */
  function seriesLine(ev: OrgEvent, words: string): HTMLElement {
    const line = h('p', {class: 'org-series'}, words);
    if (ev.series_id && !ev.recurrence) {
      datesOf(ev).then(
        (dates) => {
          if (dates.rrule) line.textContent = seriesWords({...ev, recurrence: {rrule: dates.rrule}}) ?? words;
        },
        () => undefined,
      );
    }
    return line;
  }

  function occurrencesToggle(ev: OrgEvent): HTMLElement {
    const id = `occ-${ev.id}`;
    const button = h('button', {type: 'button', class: 'btn btn-link occ-toggle', 'aria-expanded': 'false', 'aria-controls': id}, 'Show dates');
    const box = h('div', {id, class: 'occurrences', hidden: true});
    let loaded = false;
    button.addEventListener('click', async () => {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      button.textContent = open ? 'Hide dates' : 'Show dates';
      box.hidden = !open;
      if (!open || loaded) return;
      loaded = true;
      const occ = new PagedList<OrgEvent>(
        `Dates of ${ev.title}`,
        (after) => (after === null ? datesOf(ev) : ctx.api.occurrences(organizerId, ev, after)),
        (raw) => {
          const o = withVenue(raw);
          const when = formatEventRange(o.starts_at, o.ends_at, o.timezone ?? ev.timezone, LOCALE, VIEWER_ZONE);
          return h(
            'li',
            {class: 'item occurrence'},
            h('span', {}, when),
            o.venue && o.venue.id !== ev.venue?.id ? h('span', {class: 'muted'}, o.venue.name) : null,
            statusTag(o.status ?? ev.status),
            h('a', {href: routeHash({name: 'event-edit', organizerId, eventId: o.id})}, 'Edit', h('span', {class: 'sr-only'}, ` ${ev.title} on ${when}`)),
          );
        },
        'No dates yet.',
      );
      box.replaceChildren(occ.root);
      await occ.fetch();
    });
    return h('div', {class: 'occ'}, button, box);
  }

  const chips = h('div', {class: 'chips status-filter', role: 'group', 'aria-label': 'Show'});
  for (const [value, label] of FILTERS) {
    const chip = h('button', {type: 'button', class: 'chip', 'aria-pressed': String(value === filter)}, label);
    chip.addEventListener('click', () => {
      filter = value;
      for (const c of chips.querySelectorAll('button')) c.setAttribute('aria-pressed', String(c === chip));
      void list.fetch();
    });
    chips.append(chip);
  }
  void list.fetch();
  void signal;

  return {
    title: `Events of ${organizer.name}`,
    body: [
      h(
        'nav',
        {class: 'org-nav', 'aria-label': 'Organizer'},
        h('a', {class: 'btn btn-primary', href: routeHash({name: 'event-new', organizerId, venueId: null, copyOf: null})}, 'New event'),
        h('a', {class: 'btn btn-secondary', href: routeHash({name: 'venue-new', organizerId})}, 'Pin a venue'),
        h('a', {class: 'btn btn-secondary', href: routeHash({name: 'audit', organizerId})}, 'Changes'),
        h('a', {class: 'btn btn-secondary', href: routeHash({name: 'import', organizerId})}, 'Import a calendar'),
        h('a', {class: 'btn btn-link', href: routeHash({name: 'team', organizerId})}, 'Team'),
      ),
      section('events', 'Events', chips, problem, list.root, status),
    ],
  };
}
