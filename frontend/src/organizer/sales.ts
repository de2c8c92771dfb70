/**
 * `#/organizers/ID/events/EID/sales`: the event's attendees (search, status filter, CSV export) and
 * its sales (per tier, and tickets over time as a chart with the same figures in a table beside it).
 * Sales figures are for the event's editors; a checker sees the attendee list and a note instead.
 */
import {ApiError} from '../lib/api';
import {formatMoney} from '../lib/format';
import {routeHash} from '../lib/router';
import {h} from '../ui/dom';
import {errorText, PagedList} from '../accounts/common';
import {section} from '../accounts/forms';
import type {Page} from '../accounts/pages';
import type {Attendee, RsvpStatus, Sales} from './api';
import type {OrganizerContext} from './organizer-pages';
import {bucketLabel, salesChart} from './saleschart';

const LOCALE = navigator.language || 'en';
const STATUS_WORDS: Record<RsvpStatus, string> = {going: 'Going', ticket_holder: 'Ticket holder', waitlisted: 'Waitlisted', interested: 'Interested', not_going: 'Not going'};

/** "Balcony · 2 tickets · 1 checked in": what an entry holds and how much of it came through the door. */
export function holding(a: Attendee): string {
  const parts = a.tier_name ? [a.tier_name] : [];
  if (a.tickets > 0) parts.push(a.tickets === 1 ? '1 ticket' : `${a.tickets} tickets`);
  if (a.tickets > 0) parts.push(a.checked_in === 0 ? 'not checked in' : a.checked_in === a.tickets ? 'checked in' : `${a.checked_in} checked in`);
  return parts.join(' · ');
}

export async function salesPage(ctx: OrganizerContext, organizerId: string, eventId: string): Promise<Page> {
  const event = await ctx.api.event(organizerId, eventId).catch(() => null);
  const title = event ? `Attendees and sales — ${event.title}` : 'Attendees and sales';
  const nav = h(
    'p',
    {class: 'org-nav'},
    h('a', {href: routeHash({name: 'my-events', organizerId})}, 'Your events'),
    ' · ',
    h('a', {href: routeHash({name: 'event-door', organizerId, eventId})}, 'Door check-in'),
  );
  return {title, body: [nav, salesSection(ctx, eventId), attendeesSection(ctx, eventId)]};
}

function salesSection(ctx: OrganizerContext, eventId: string): HTMLElement {
  const content = h('div', {'aria-live': 'polite'}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  const choice = h('select', {id: 'sales-bucket'}, h('option', {value: 'day'}, 'Per day'), h('option', {value: 'hour'}, 'Per hour'));
  const show = async () => {
    const bucket = choice.value === 'hour' ? 'hour' : 'day';
    try {
      content.replaceChildren(...salesBody(await ctx.api.sales(eventId, bucket)));
    } catch (error) {
      const note = error instanceof ApiError && error.status === 403 ? 'Sales figures are for the event’s editors.' : `Sales could not be loaded: ${errorText(error)}`;
      content.replaceChildren(h('p', {class: 'muted'}, note));
    }
  };
  choice.addEventListener('change', () => void show());
  void show();
  return section('sales', 'Sales', h('p', {class: 'field'}, h('label', {for: 'sales-bucket'}, 'Tickets over time '), choice), content);
}

function salesBody(sales: Sales): HTMLElement[] {
  const money = (minor: number, currency: string) => formatMoney(minor, currency, LOCALE);
  const header = h('tr', {}, ...['Tier', 'Price', 'Sold', 'Held', 'Quota', 'Revenue', 'Refunds'].map((t) => h('th', {scope: 'col'}, t)));
  const rows = sales.tiers.map((t) =>
    h(
      'tr',
      {},
      h('th', {scope: 'row'}, t.name),
      h('td', {}, t.price ? money(t.price, t.currency) : 'Free'),
      h('td', {}, t.sold),
      h('td', {}, t.held),
      h('td', {}, t.quota ?? '—'),
      h('td', {}, money(t.revenue, t.currency)),
      h('td', {}, t.refunded ? `${t.refunded} (${money(t.refunded_amount, t.currency)})` : '0'),
    ),
  );
  const tiers = sales.tiers.length
    ? h('table', {class: 'table sales-tiers'}, h('caption', {class: 'sr-only'}, 'Sales per tier'), h('thead', {}, header), h('tbody', {}, ...rows))
    : h('p', {class: 'muted'}, 'No ticket tiers: the tickets here are those of RSVPs “going”.');
  const sold = sales.buckets.reduce((n, b) => n + b.tickets, 0);
  if (!sales.buckets.length) return [tiers, h('p', {class: 'muted sales-empty'}, 'No tickets yet.')];
  const figures = h(
    'details',
    {},
    h('summary', {}, 'The chart’s figures'),
    h(
      'table',
      {class: 'table'},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, sales.bucket === 'hour' ? 'Hour' : 'Day'), h('th', {scope: 'col'}, 'Tickets'), h('th', {scope: 'col'}, 'Revenue'))),
      h(
        'tbody',
        {},
        ...sales.buckets
          .filter((b) => b.tickets || Object.keys(b.revenue).length)
          .map((b) =>
            h(
              'tr',
              {},
              h('th', {scope: 'row'}, bucketLabel(b.start, sales.bucket, sales.timezone, LOCALE)),
              h('td', {}, b.tickets),
              h('td', {}, Object.entries(b.revenue).map(([c, n]) => money(n, c)).join(', ') || '—'),
            ),
          ),
      ),
    ),
  );
  return [
    tiers,
    h('figure', {class: 'sales-figure'}, salesChart(sales.buckets, sales.bucket, sales.timezone), h('figcaption', {class: 'muted'}, `${sold} ticket${sold === 1 ? '' : 's'}, per ${sales.bucket} (${sales.timezone}); the line is the running total.${sales.truncated ? ' Older sales are left out.' : ''}`)),
    figures,
  ];
}

function attendeesSection(ctx: OrganizerContext, eventId: string): HTMLElement {
  const filter: {q: string; status: RsvpStatus | ''} = {q: '', status: ''};
  const search = h('input', {type: 'search', id: 'attendee-q', maxlength: 100, autocomplete: 'off'});
  const status = h('select', {id: 'attendee-status'}, h('option', {value: ''}, 'Everyone'), ...Object.entries(STATUS_WORDS).map(([v, t]) => h('option', {value: v}, t)));
  const list = new PagedList<Attendee>(
    'Attendees',
    (after) => ctx.api.attendees(eventId, filter, after),
    (a) =>
      h(
        'li',
        {class: 'item attendee'},
        h('span', {class: 'attendee-name'}, a.display_name || a.email),
        a.display_name ? h('span', {class: 'muted'}, ` ${a.email}`) : null,
        h('span', {class: `tag status-${a.status}`}, ` ${STATUS_WORDS[a.status] ?? a.status}`),
        holding(a) ? h('span', {class: 'muted attendee-holding'}, ` ${holding(a)}`) : null,
      ),
    'Nobody has answered yet (or nobody matches).',
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reload = () => {
    filter.q = search.value.length >= 1 ? search.value.slice(0, 100) : '';
    filter.status = status.value as RsvpStatus | '';
    void list.fetch();
  };
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 250);
  });
  status.addEventListener('change', reload);
  const exportButton = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Export CSV');
  const exportNote = h('span', {class: 'muted', role: 'status'});
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      const blob = await ctx.api.attendeesCsv(eventId, filter);
      const link = h('a', {href: URL.createObjectURL(blob), download: `attendees-${eventId}.csv`});
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      exportNote.textContent = 'Saved.';
    } catch (error) {
      exportNote.textContent = `Could not export: ${errorText(error)}`;
    } finally {
      exportButton.disabled = false;
    }
  });
  void list.fetch();
  return section(
    'attendees',
    'Attendees',
    h('div', {class: 'attendee-filters'}, h('label', {for: 'attendee-q'}, 'Search by name or email'), search, h('label', {for: 'attendee-status'}, 'Status'), status, exportButton, exportNote),
    list.root,
  );
}
