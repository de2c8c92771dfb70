/**
 * `#/door`: the events a person may check tickets for, with the way to each one's door scanner.
 * Every member of an organizer may check (`checker` is the lowest role, ADR on organizer teams), so a
 * person who is only a checker — who has no events to edit under `#/organize` — finds the door here.
 */
import {formatEventRange} from '../../lib/format';
import {routeHash} from '../../lib/router';
import {viewerTimeZone} from '../../lib/time';
import {h} from '../../ui/dom';
import {PagedList} from '../../accounts/common';
import type {Page} from '../../accounts/pages';
import type {Organizer, OrgEvent} from '../api';
import type {OrganizerContext} from '../organizer-pages';

/** The organizers whose tickets the person checks: every membership (any role reaches the door). */
export function checkable(organizers: Organizer[]): Organizer[] {
  return organizers.filter((o) => o.role === 'owner' || o.role === 'editor' || o.role === 'checker');
}

/** An event whose doors are closed: it ended (or, without an end, started) before `now`. */
export function isOver(e: Pick<OrgEvent, 'starts_at' | 'ends_at'>, now: Date): boolean {
  return Date.parse(e.ends_at ?? e.starts_at) < now.getTime();
}

export async function doorEventsPage(ctx: OrganizerContext): Promise<Page> {
  const organizers = checkable(await ctx.api.organizers());
  const title = 'Check tickets at the door';
  if (!organizers.length) {
    return {title, body: [h('p', {}, 'You check tickets for no organizer yet: an organizer’s owner can invite you to its team as a checker.')]};
  }
  const zone = viewerTimeZone();
  const locale = navigator.language || 'en';
  const sections = organizers.map((o) => {
    const list = new PagedList<OrgEvent>(
      `Events of ${o.name}`,
      (after) => ctx.api.events(o.id, after, 'published'),
      (e) =>
        h(
          'li',
          {class: 'item door-event'},
          h('a', {href: routeHash({name: 'event-door', organizerId: o.id, eventId: e.id})}, e.title),
          h('span', {class: 'muted'}, ` ${formatEventRange(e.starts_at, e.ends_at, e.timezone, locale, zone)}`),
          isOver(e, new Date()) ? h('span', {class: 'tag'}, ' Ended') : null,
        ),
      'No published events.',
    );
    void list.fetch();
    return h('section', {class: 'card', 'aria-label': o.name}, h('h2', {}, o.name), list.root);
  });
  return {title, body: [h('p', {}, 'Choose the event whose door you are at. The scanner keeps working without a network once it has loaded.'), ...sections]};
}
