/**
 * `#/organizers/ID/audit`: every change to the organizer's events and venues — who, what, when,
 * and what it was before and after — newest first, page by page.
 */
import {routeHash} from '../lib/router';
import {h} from '../ui/dom';
import {PagedList} from '../accounts/common';
import {section} from '../accounts/forms';
import type {Page} from '../accounts/pages';
import type {AuditEntry} from './api';
import type {OrganizerContext} from './organizer-pages';

const ACTIONS: Record<string, string> = {
  created: 'created',
  create: 'created',
  updated: 'changed',
  update: 'changed',
  published: 'published',
  publish: 'published',
  unpublished: 'unpublished',
  unpublish: 'unpublished',
  cancelled: 'cancelled',
  cancel: 'cancelled',
  deleted: 'deleted',
  delete: 'deleted',
  image: 'changed the image of',
};

/** The fields a change touched: "title: “Jazz” → “Jazz night”". Pure. */
export function changes(before: Record<string, unknown> | null, after: Record<string, unknown> | null): string[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter((k) => !['updated_at', 'sequence', 'id'].includes(k));
  const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'string' ? `“${v.length > 60 ? `${v.slice(0, 57)}…` : v}”` : JSON.stringify(v));
  const out: string[] = [];
  for (const key of keys.sort()) {
    const a = before?.[key];
    const b = after?.[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    out.push(before && after ? `${key.replace(/_/g, ' ')}: ${show(a)} → ${show(b)}` : `${key.replace(/_/g, ' ')}: ${show(after ? b : a)}`);
  }
  return out;
}

export async function auditPage(ctx: OrganizerContext, organizerId: string): Promise<Page> {
  const [organizer, names] = await Promise.all([ctx.api.organizer(organizerId), ctx.api.members(organizerId).catch(() => new Map<string, string>())]);
  const when = new Intl.DateTimeFormat(navigator.language || 'en', {dateStyle: 'medium', timeStyle: 'short'});
  const list = new PagedList<AuditEntry>(
    'Changes',
    (after) => ctx.api.audit(organizerId, after),
    (e) => {
      const what = changes(e.before, e.after);
      const title = e.eventTitle ?? (e.entity === 'venue' ? 'a venue' : 'an event');
      const who = (e.actorId && names.get(e.actorId)) || e.who;
      const subject = e.eventId ? h('a', {href: routeHash({name: 'event-edit', organizerId, eventId: e.eventId})}, title) : h('span', {}, title);
      return h(
        'li',
        {class: 'item audit-entry'},
        h('p', {}, h('strong', {}, who), ` ${ACTIONS[e.action] ?? e.action.replace(/_/g, ' ')} `, e.entity === 'venue' ? 'the venue ' : e.entity === 'series' ? 'the series ' : '', subject),
        h('p', {class: 'muted'}, h('time', {datetime: e.at}, when.format(new Date(e.at)))),
        what.length && e.action !== 'created' && e.action !== 'create' ? h('details', {}, h('summary', {}, `${what.length} field${what.length === 1 ? '' : 's'}`), h('ul', {class: 'audit-fields'}, ...what.map((w) => h('li', {}, w)))) : null,
      );
    },
    'No changes yet.',
  );
  void list.fetch();
  return {
    title: `Changes to ${organizer.name}’s events`,
    body: [section('audit', 'Who changed what', list.root), h('p', {}, h('a', {href: routeHash({name: 'my-events', organizerId})}, 'Back to your events'))],
  };
}
