/** Everything about one event, with share, add-to-calendar (.ics) and directions (geo: URI). */
import {type ApiError, type EventDetail, getJson, LatestOnly} from '../lib/api';
import {categoryColor, categoryName} from '../lib/categories';
import {formatEventRange, formatPrice} from '../lib/format';
import {buildIcs, geoUri, icsFileName} from '../lib/ics';
import {canShareNatively} from '../lib/share';
import {type SimilarEvents, reasonLine, similarUrl} from '../lib/recommendations';
import type {Session} from '../lib/session';
import type {Attend} from '../tickets/attend';
import {byId, dot, h} from './dom';

export interface DetailCallbacks {
  onClose: () => void;
  /** Open another event (from "similar events"). */
  onOpen?: (id: string, trigger: HTMLElement) => void;
  onLoaded: (event: EventDetail) => void;
  shareUrl: (event: EventDetail) => string;
  /** The link went out (shared through the sheet, or copied): a signal for the person's recommendations. */
  onShared?: (event: EventDetail) => void;
  notify: (text: string, kind?: 'info' | 'error') => void;
  /** The signed-in person, for answering the event and buying tickets. */
  session: Session;
}

export class DetailPanel {
  private readonly root = byId('detail');
  private readonly request = new LatestOnly();
  private trigger: HTMLElement | null = null;
  /** RSVP or tickets of the open event (a chunk of its own, loaded with the first event opened). */
  private attend: Attend | null = null;
  openId: string | null = null;

  constructor(
    private readonly cb: DetailCallbacks,
    private readonly locale: string,
    private readonly viewerZone: string,
  ) {
    document.addEventListener('keydown', (e) => {
      // Not while an account page covers the panel: the Escape is that page's.
      if (e.key === 'Escape' && this.openId && !e.defaultPrevented && !document.getElementById('app')?.classList.contains('page-open')) this.close();
    });
  }

  async open(id: string, trigger: HTMLElement | null = null): Promise<void> {
    if (this.openId === id && !this.root.hidden) return;
    this.openId = id;
    this.dropAttend();
    this.trigger = trigger ?? (document.activeElement as HTMLElement | null);
    this.root.hidden = false;
    document.getElementById('app')?.classList.add('detail-open');
    this.root.setAttribute('aria-busy', 'true');
    this.root.replaceChildren(this.header(null), h('div', {class: 'detail-body'}, h('div', {class: 'skeleton'}), h('div', {class: 'skeleton'})));
    try {
      const result = await this.request.run((signal) => getJson<EventDetail>(`/api/v1/events/${encodeURIComponent(id)}`, signal));
      if (result.stale) return;
      this.render(result.value);
      this.cb.onLoaded(result.value);
    } catch (error) {
      const e = error as ApiError;
      this.root.replaceChildren(
        this.header(null),
        h(
          'div',
          {class: 'detail-body error', role: 'alert'},
          h('p', {class: 'empty-title'}, e.status === 404 ? 'This event no longer exists' : 'The event could not be loaded'),
          h('p', {}, e.detail ?? String(error)),
        ),
      );
    } finally {
      this.root.removeAttribute('aria-busy');
    }
  }

  close(): void {
    if (!this.openId) return;
    const id = this.openId;
    this.request.cancel();
    this.dropAttend();
    this.openId = null;
    this.root.hidden = true;
    this.root.replaceChildren();
    document.getElementById('app')?.classList.remove('detail-open');
    // Back to what opened the panel; if the list was re-drawn meanwhile, to the same event's item.
    const target = this.trigger?.isConnected ? this.trigger : document.querySelector<HTMLElement>(`.card[data-id="${CSS.escape(id)}"]`);
    target?.focus();
    this.trigger = null;
    this.cb.onClose();
  }

  private header(event: EventDetail | null): HTMLElement {
    const close = h('button', {type: 'button', class: 'btn btn-icon detail-close', 'aria-label': 'Close event details'}, '×');
    close.addEventListener('click', () => this.close());
    const title = h('h2', {id: 'detail-title', tabindex: '-1'}, event ? event.title : 'Loading event…');
    return h(
      'header',
      {class: 'detail-head'},
      close,
      event ? h('p', {class: 'detail-category'}, dot(categoryColor(event.category)), categoryName(event.category)) : null,
      title,
      event?.status === 'cancelled' ? h('p', {class: 'tag tag-warn'}, 'This event is cancelled') : null,
    );
  }

  private render(event: EventDetail): void {
    const when = formatEventRange(event.starts_at, event.ends_at, event.timezone, this.locale, this.viewerZone);
    const price = formatPrice(event, this.locale) || 'Price not given';
    const venue = event.venue?.name;
    const facts: [string, Node | string][] = [
      ['When', h('span', {}, h('time', {datetime: event.starts_at}, when), h('span', {class: 'muted'}, ` (${event.timezone.replace(/_/g, ' ')} time)`))],
      ['Where', venue ?? `${event.lat.toFixed(4)}, ${event.lon.toFixed(4)}`],
      ['Price', price],
    ];
    if (event.organizer) facts.push(['Organizer', event.organizer.name]);
    if (event.capacity) facts.push(['Capacity', new Intl.NumberFormat(this.locale).format(event.capacity)]);
    const body = h(
      'div',
      {class: 'detail-body'},
      this.actions(event),
      h('dl', {class: 'facts'}, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      event.tags.length ? h('ul', {class: 'detail-tags', 'aria-label': 'Tags'}, ...event.tags.map((t) => h('li', {class: 'tag'}, `#${t}`))) : null,
      h('div', {class: 'description'}, ...(event.description || 'No description.').split(/\n{2,}/).map((p) => h('p', {}, p))),
    );
    this.root.replaceChildren(this.header(event), body);
    byId('detail-title').focus({preventScroll: true});
    void this.showAttend(event, body);
    void this.similar(event, body);
  }

  /** The places of the open event changed (the live feed said so): ask for them now. */
  placesChanged(id: string): void {
    if (this.openId === id) void this.attend?.refresh();
  }

  private async showAttend(event: EventDetail, body: HTMLElement): Promise<void> {
    const slot = h('div', {class: 'attend-slot'});
    body.querySelector('.detail-actions')?.after(slot);
    try {
      const {Attend} = await import('../tickets/attend');
      if (this.openId !== event.id || !slot.isConnected) return;
      this.attend = new Attend(event, {session: this.cb.session, notify: this.cb.notify, locale: this.locale});
      slot.replaceWith(this.attend.root);
    } catch {
      slot.remove(); // offline or a new release: the event's details stand without it
    }
  }

  private dropAttend(): void {
    this.attend?.dispose();
    this.attend = null;
  }

  /** "Similar events" and "people who went to this also went to", below the description. */
  private async similar(event: EventDetail, body: HTMLElement): Promise<void> {
    let found: SimilarEvents;
    try {
      found = await getJson<SimilarEvents>(similarUrl(event.id));
    } catch {
      return; // a nice-to-have: the detail stands without it
    }
    if (this.openId !== event.id) return;
    const section = (title: string, items: SimilarEvents['similar']) =>
      items.length
        ? h(
            'section',
            {class: 'similar', 'aria-label': title},
            h('h3', {}, title),
            h(
              'ul',
              {},
              ...items.map((item) => {
                const open = h('button', {type: 'button', class: 'btn btn-link similar-open'}, item.title);
                open.addEventListener('click', () => this.cb.onOpen?.(item.id, open));
                return h('li', {}, open, h('span', {class: 'muted'}, ` ${reasonLine(item, 1)}`));
              }),
            ),
          )
        : null;
    const parts = [section('Similar events', found.similar), section('People who went to this also went to', found.also_went)];
    for (const part of parts) if (part) body.append(part);
  }

  private actions(event: EventDetail): HTMLElement {
    const share = h('button', {type: 'button', class: 'btn btn-primary', id: 'share-event'}, 'Share');
    share.addEventListener('click', () => void this.share(event));
    const calendar = h('button', {type: 'button', class: 'btn btn-secondary', id: 'add-to-calendar'}, 'Add to calendar');
    calendar.addEventListener('click', () => this.downloadIcs(event));
    const directions = h('a', {class: 'btn btn-secondary', id: 'directions', href: geoUri(event.lat, event.lon, event.venue?.name ?? event.title)}, 'Directions');
    const page = h('a', {class: 'btn btn-secondary', id: 'event-page', href: this.cb.shareUrl(event)}, 'Event page');
    return h('div', {class: 'detail-actions'}, share, calendar, directions, page);
  }

  private async share(event: EventDetail): Promise<void> {
    const url = this.cb.shareUrl(event);
    if (canShareNatively(navigator, matchMedia('(pointer: coarse)').matches)) {
      try {
        await navigator.share({title: event.title, url});
        this.cb.onShared?.(event);
        return;
      } catch (error) {
        if ((error as DOMException).name === 'AbortError') return; // the person closed the sheet
      }
    }
    try {
      await navigator.clipboard.writeText(url);
      this.cb.notify('Link copied to the clipboard.');
      this.cb.onShared?.(event);
    } catch {
      // Clipboard API refused (permissions, insecure context): fall back to a selected text field.
      const field = h('textarea', {class: 'copy-fallback', readonly: true, 'aria-label': 'Link to this event'}, url);
      document.body.append(field);
      field.select();
      const ok = document.execCommand('copy');
      field.remove();
      this.cb.notify(ok ? 'Link copied to the clipboard.' : `Copy this link: ${url}`, ok ? 'info' : 'error');
      if (ok) this.cb.onShared?.(event);
    }
  }

  private downloadIcs(event: EventDetail): void {
    const ics = buildIcs({
      id: event.id,
      title: event.title,
      description: event.description,
      starts_at: event.starts_at,
      ends_at: event.ends_at,
      location: event.venue?.name ?? null,
      lat: event.lat,
      lon: event.lon,
      url: this.cb.shareUrl(event),
      status: event.status,
    });
    const href = URL.createObjectURL(new Blob([ics], {type: 'text/calendar;charset=utf-8'}));
    const a = h('a', {href, download: icsFileName(event.title), hidden: true});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }
}
