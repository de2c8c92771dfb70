/**
 * `#/tickets`: the person's tickets with their QR codes, for the door. The tickets are kept on the
 * device (localStorage) each time they are loaded, and the service worker keeps the app's files,
 * so the page opens and shows the codes with no connection at all (a venue's bad wifi). The kept
 * tickets are forgotten when the person logs out.
 */
import './tickets.css';
import type {Page, PageContext} from '../accounts/pages';
import {errorText, signedIn} from '../accounts/common';
import {ApiError} from '../lib/api';
import {formatEventRange} from '../lib/format';
import {viewerTimeZone} from '../lib/time';
import {h} from '../ui/dom';
import {keepTickets, keptTickets, type MyTicket, orderTickets} from './logic';
import {keepOffline} from './offline';

const LIMIT = 50;

export function myTicketsPage(ctx: PageContext): Page {
  const locale = navigator.language || 'en';
  const status = h('p', {class: 'muted', role: 'status', id: 'tickets-status'}, 'Loading…');
  const list = h('div', {class: 'tickets', id: 'tickets'});
  const show = (tickets: MyTicket[]) => list.replaceChildren(...ticketSections(tickets, locale));
  const kept = keptTickets(localStorage);
  if (kept) show(kept.tickets);
  void (async () => {
    await ctx.session.ready;
    if (!ctx.session.account) {
      // Offline, nobody can be signed in: the tickets kept on this device are what there is.
      if (kept && !navigator.onLine) return void (status.textContent = savedNote(kept.saved_at, locale));
      if (await signedIn(ctx, '#/tickets')) return;
      return;
    }
    const me = ctx.session.account;
    try {
      const page = await ctx.session.json<{items: MyTicket[]}>(`/api/v1/me/tickets?limit=${LIMIT}`);
      keepTickets(localStorage, me.id, page.items, new Date());
      show(page.items);
      status.textContent = page.items.length ? 'Your tickets are saved on this device: they show without a connection too.' : '';
      if (!page.items.length) list.replaceChildren(h('p', {}, 'You have no tickets yet. Answer “Going” to a free event or buy a ticket, and it shows here.'));
      void keepOffline();
    } catch (error) {
      const mine = keptTickets(localStorage, me.id);
      if (mine && error instanceof ApiError && error.status === 0) status.textContent = savedNote(mine.saved_at, locale);
      else status.textContent = `Your tickets could not be loaded: ${errorText(error)}`;
    }
  })();
  return {title: 'My tickets', body: [status, list]};
}

function savedNote(savedAt: string, locale: string): string {
  const when = new Intl.DateTimeFormat(locale, {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(savedAt));
  return `You are offline: these are your tickets as saved on this device (${when}).`;
}

function ticketSections(tickets: MyTicket[], locale: string): HTMLElement[] {
  const {upcoming, past} = orderTickets(tickets, new Date());
  const section = (title: string, items: MyTicket[]) =>
    items.length ? h('section', {'aria-label': title}, h('h2', {}, title), h('ul', {class: 'ticket-list'}, ...items.map((t) => ticketCard(t, locale)))) : null;
  return [section('Upcoming', upcoming), section('Past', past)].filter((s): s is HTMLElement => s !== null);
}

function ticketCard(ticket: MyTicket, locale: string): HTMLElement {
  const when = formatEventRange(ticket.starts_at, ticket.ends_at, ticket.timezone, locale, viewerTimeZone());
  const titleId = `ticket-${ticket.id}-title`;
  return h(
    'li',
    {class: 'ticket', 'data-ticket': ticket.id, 'aria-labelledby': titleId},
    h('h3', {id: titleId}, ticket.event_title),
    h('p', {}, h('time', {datetime: ticket.starts_at}, when)),
    ticket.tier_name ? h('p', {class: 'muted'}, ticket.tier_name) : h('p', {class: 'muted'}, 'RSVP'),
    h('img', {class: 'ticket-qr', src: ticket.qr_svg, alt: `QR code of your ticket for ${ticket.event_title}`, width: 240, height: 240}),
    ticket.checked_in_at ? h('p', {class: 'tag'}, `Checked in${ticket.door ? ` at ${ticket.door}` : ''}`) : null,
    h('details', {}, h('summary', {}, 'Code for manual entry'), h('code', {class: 'ticket-code'}, ticket.code)),
    h('p', {}, h('a', {href: `/?event=${encodeURIComponent(ticket.event_id)}`}, 'See the event')),
  );
}
