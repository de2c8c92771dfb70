/**
 * The app: one state (held in the URL), and the pieces that show it — map, list, filters, time
 * slider, detail panel and calendar. Every change goes through `update`, which decides what to
 * refresh and how to record it in history.
 */
import './styles.css';
import {ApiError, type EventItem, getJson, LatestOnly, type Page, debounce} from './lib/api';
import {categoryColor, categoryName} from './lib/categories';
import {dateRange, type Filters, filtersEqual, listParams, type Area, tileJsonUrl, DEFAULT_FILTERS, dayFilter} from './lib/filters';
import {formatEventStart, formatPrice} from './lib/format';
import {type Bounds, coveringRadiusM, normalizeBounds} from './lib/geo';
import {PlaceZones} from './lib/placezone';
import {type CivilDate, parseIsoDate, viewerTimeZone} from './lib/time';
import {isRouteHash} from './lib/router';
import {eventPageUrl, shareSignalUrl} from './lib/share';
import {type LiveChange, LiveFeed} from './lib/live';
import {Session} from './lib/session';
import {type AppState, type MapView, parseHashView, parseState, serializeState} from './lib/urlstate';
import {EventMap, type TileEvent} from './map/eventmap';
import {CalendarView} from './ui/calendar';
import {DetailPanel} from './ui/detail';
import {AccountNav} from './ui/accountnav';
import {byId, dot, h} from './ui/dom';
import {FiltersPanel} from './ui/filters';
import {ResultsList} from './ui/list';
import {ForYouPanel} from './ui/foryou';
import {PageHost} from './ui/pagehost';
import {TimeSlider} from './ui/timeslider';
import {Toasts} from './ui/toasts';

declare global {
  interface Window {
    /** For debugging in the console and for the end-to-end tests: the live MapLibre map. */
    happenings?: {map: EventMap['map']; tilesUrl: () => string};
  }
}

const LOCALE = navigator.language || 'en';
const ZONE = viewerTimeZone();
const PAGE_SIZE = 50;
const CALENDAR_LIMIT = 500;
/** The API refuses radius searches wider than this (DiscoverySettings.max_radius_m). */
const MAX_RADIUS_M = 200_000;
const WORLD: MapView = {lon: 10, lat: 30, zoom: 1.6};

type History = 'push' | 'replace' | 'none';

class App {
  private state: AppState;
  private origin: {lat: number; lon: number} | null = null;
  private cursor: string | null = null;
  private readonly toasts = new Toasts(byId('toasts'));
  private readonly listRequest = new LatestOnly();
  private readonly map: EventMap;
  private readonly filters: FiltersPanel;
  private readonly list: ResultsList;
  private readonly forYou: ForYouPanel;
  private readonly detail: DetailPanel;
  private readonly slider: TimeSlider;
  private readonly calendar: CalendarView;
  private readonly sort = byId<HTMLSelectElement>('sort');
  private readonly refreshDebounced = debounce(() => void this.refreshList(), 300);
  private readonly retileSoon = debounce(() => this.map.setTilesUrl(this.tilesUrl()), 120);
  private readonly calendarSoon = debounce(() => void this.calendar.refresh(), 300);
  private readonly placeZones = new PlaceZones(ZONE);
  private openedPoint: {lat: number; lon: number} | null = null;
  /** Changes of events in view, as they happen (markers and list follow without a reload). */
  private readonly live = new LiveFeed((change) => this.liveChange(change));
  /** A live change arrived since the list was last asked for. */
  private listChanged = false;
  /** The list is stale from the moment a refresh is scheduled: say so at once (aria-busy). */
  private readonly refreshSoon = Object.assign(
    () => {
      this.list.loading();
      this.refreshDebounced();
    },
    {cancel: () => this.refreshDebounced.cancel()},
  );
  /** A shared link to an event without a map position: centre the map on the event once loaded. */
  private followEvent: boolean;

  constructor(initial: AppState, startView: MapView, session: Session) {
    this.state = initial;
    this.followEvent = !initial.map && Boolean(initial.event);
    this.filters = new FiltersPanel((f) => this.setFilters(f, 'push'));
    this.list = new ResultsList(
      {
        onOpen: (item, trigger) => this.openEvent(item.id, trigger),
        onHover: (item) => this.map.highlight(item ? this.list.point(item.id) : this.openedPoint),
        onMore: () => void this.refreshList(true),
      },
      LOCALE,
      ZONE,
    );
    this.forYou = new ForYouPanel(
      {
        center: () => {
          const {lat, lon} = this.map.view();
          return {lat, lon};
        },
        signedIn: () => session.state === 'signed-in',
        fetchJson: (url) => session.json(url),
        onOpen: (id, trigger) => this.openEvent(id, trigger),
      },
      LOCALE,
      ZONE,
    );
    this.detail = new DetailPanel(
      {
        onOpen: (id, trigger) => this.openEvent(id, trigger),
        onClose: () => {
          this.openedPoint = null;
          this.map.highlight(null);
          this.update({event: null}, 'push');
        },
        onLoaded: (event) => {
          this.openedPoint = {lat: event.lat, lon: event.lon};
          this.map.highlight(this.openedPoint);
          if (this.followEvent) this.map.jumpTo({lon: event.lon, lat: event.lat, zoom: 14});
          this.followEvent = false;
        },
        shareUrl: (event) => eventPageUrl(location.origin, event.id, event.title),
        onShared: (event) => {
          // Best effort: a lost signal costs a little personalisation, never the share itself.
          if (session.state === 'signed-in') void session.fetch(shareSignalUrl(event.id), {method: 'POST'}).catch(() => undefined);
        },
        notify: (text, kind) => this.toasts.show(text, kind),
        session,
      },
      LOCALE,
      ZONE,
    );
    this.slider = new TimeSlider(LOCALE, ZONE, new Date(), (day, settled) => {
      const filters = day ? dayFilter(this.state.filters, day) : {...this.state.filters, when: DEFAULT_FILTERS.when, from: null, to: null};
      this.setFilters(filters, settled ? 'push' : 'none');
    });
    this.calendar = new CalendarView(
      {
        zone: (signal) => {
          const {lat, lon} = this.map.view();
          return this.placeZones.at(lat, lon, signal);
        },
        load: (start, end, signal) => this.loadCalendar(start, end, signal),
        onOpen: (item, trigger) => this.openEvent(item.id, trigger),
        onScale: (calendar) => this.update({calendar}, 'replace'),
        onClose: () => this.setView('list'),
      },
      LOCALE,
      ZONE,
    );
    this.map = new EventMap({
      container: byId('map'),
      view: startView,
      styleUrl: `${location.origin}/basemap/style.json`,
      fallbackStyleUrl: `${location.origin}/basemap/style.json?offline=1`,
      tilesUrl: this.tilesUrl(),
      popupContent: (event) => this.popup(event),
      onMoveEnd: (view) => {
        this.live.watch(normalizeBounds(this.map.bounds()));
        this.state = {...this.state, map: view};
        this.writeUrl('replace');
        this.refreshSoon();
        if (this.calendar.isOpen) this.calendarSoon();
      },
      onEventClick: (event) => {
        this.map.showPopup(event);
        this.openEvent(event.id, null);
      },
      onEventHover: (id) => this.list.highlight(id),
      onError: (message, key) => this.toasts.show(message, 'error', key),
      onBusy: (busy) => (byId('map-busy').hidden = !busy),
    });
    window.happenings = {map: this.map.map, tilesUrl: () => this.map.currentTilesUrl};
    this.map.map.once('load', () => {
      void this.refreshList();
      this.live.watch(normalizeBounds(this.map.bounds()));
    });
    this.wire();
    this.render();
    if (initial.event) void this.detail.open(initial.event);
    if (initial.view === 'calendar') this.calendar.open(initial.calendar, this.calendarAnchor());
  }

  private wire(): void {
    this.sort.addEventListener('change', () => {
      this.update({sort: this.sort.value as AppState['sort']}, 'push');
      void this.refreshList();
    });
    byId('near-me').addEventListener('click', () => this.nearMe());
    byId('view-list').addEventListener('click', () => this.setView('list'));
    byId('view-calendar').addEventListener('click', () => this.setView('calendar'));
    byId('view-foryou').addEventListener('click', () => this.toggleForYou(true));
    // Also a fragment navigation: a `#zoom/lat/lon` typed into the address bar moves the map.
    window.addEventListener('popstate', () => this.restore(parseState(location.search, location.hash)));
    this.wireSheet();
  }

  /** A change streamed for the view: reload the tiles at its old and new place, then the list. */
  private liveChange(change: LiveChange): void {
    if (change.kind === 'capacity' || change.aspects.includes('capacity')) this.detail.placesChanged(change.event_id);
    const points = [change.before, change.after].filter((p): p is {lat: number; lon: number} => p !== null);
    void this.map.refreshAround(points);
    // The list's answers may be kept by the browser for a while (max-age): ask past that copy.
    this.listChanged = true;
    this.refreshSoon();
  }

  // ---- state -----------------------------------------------------------------------------

  private tilesUrl(): string {
    return tileJsonUrl(location.origin, this.state.filters, dateRange(this.state.filters, new Date(), ZONE));
  }

  private update(change: Partial<AppState>, history: History): void {
    this.state = {...this.state, ...change};
    this.writeUrl(history);
  }

  private writeUrl(history: History): void {
    if (history === 'none') return;
    // An account page open over the map (`#/…`) stays open: only the map's part of the URL changes.
    const url = `${location.pathname}${serializeState(this.state)}${pageHash()}`;
    if (url === `${location.pathname}${location.search}${pageHash()}`) return;
    if (history === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }

  private setFilters(filters: Filters, history: History): void {
    const changed = !filtersEqual(filters, this.state.filters);
    this.update({filters}, history);
    this.filters.render(filters);
    this.slider.render(filters);
    if (!changed) return;
    this.retileSoon();
    this.refreshSoon();
    if (this.calendar.isOpen) this.calendarSoon();
  }

  /** Back/forward: show the state the URL describes. */
  private restore(next: AppState): void {
    const previous = this.state;
    this.state = {...next, map: next.map ?? previous.map};
    canonicalHashView(this.state);
    this.render();
    if (!filtersEqual(next.filters, previous.filters)) {
      this.retileSoon();
      this.refreshSoon();
    }
    if (next.sort !== previous.sort) this.refreshSoon();
    // A link to a place (the organizer pages' "See it on the map") moves the map, also from a URL without one.
    if (next.map && JSON.stringify(next.map) !== JSON.stringify(previous.map)) this.map.jumpTo(next.map);
    if (next.event !== previous.event) {
      if (next.event) void this.detail.open(next.event);
      else this.detail.close();
    }
    if (next.view !== previous.view || next.calendar !== previous.calendar) {
      if (next.view === 'calendar') this.calendar.open(next.calendar, this.calendarAnchor());
      else this.calendar.close();
    } else if (this.calendar.isOpen) this.calendarSoon();
  }

  private render(): void {
    this.filters.render(this.state.filters);
    this.slider.render(this.state.filters);
    this.sort.value = this.state.sort;
    byId('view-list').setAttribute('aria-pressed', String(this.state.view === 'list'));
    byId('view-calendar').setAttribute('aria-pressed', String(this.state.view === 'calendar'));
  }

  /** The "For you" tab replaces the list in place (not a view of the URL: it is per person). */
  private toggleForYou(on: boolean): void {
    byId('view-foryou').setAttribute('aria-pressed', String(on));
    byId('event-list').hidden = on;
    if (on) {
      byId('view-list').setAttribute('aria-pressed', 'false');
      byId('load-more').hidden = true;
      this.forYou.show();
    } else if (this.forYou.isOpen) {
      this.forYou.hide();
      this.render();
      void this.refreshList();
    }
  }

  private setView(view: AppState['view']): void {
    this.toggleForYou(false);
    if (view === this.state.view) return;
    this.update({view}, 'push');
    this.render();
    if (view === 'calendar') this.calendar.open(this.state.calendar, this.calendarAnchor());
    else this.calendar.close();
  }

  /** The chosen first day when dates are picked; otherwise today, at the place on the map. */
  private calendarAnchor(): CivilDate | null {
    const {when, from} = this.state.filters;
    return when === 'custom' ? parseIsoDate(from) : null;
  }

  private openEvent(id: string, trigger: HTMLElement | null): void {
    this.update({event: id}, 'push');
    const point = this.list.point(id);
    if (point) {
      this.openedPoint = point;
      this.map.highlight(point);
    }
    void this.detail.open(id, trigger);
  }

  // ---- list ------------------------------------------------------------------------------

  private area(bounds: Bounds): Area {
    if (this.state.sort !== 'distance') return {kind: 'bbox', ...normalizeBounds(bounds)};
    const view = this.map.view();
    const origin = this.origin && this.contains(bounds, this.origin) ? this.origin : {lat: view.lat, lon: view.lon};
    return {kind: 'circle', ...origin, radiusM: Math.min(MAX_RADIUS_M, coveringRadiusM(origin, bounds))};
  }

  private contains(b: Bounds, p: {lat: number; lon: number}): boolean {
    return p.lat >= b.south && p.lat <= b.north && p.lon >= b.west && p.lon <= b.east;
  }

  private async refreshList(append = false): Promise<void> {
    if (this.forYou.isOpen) return void this.forYou.refresh(); // the map moved: recommend around it
    this.refreshSoon.cancel();
    if (!append) this.cursor = null;
    const params = listParams({
      filters: this.state.filters,
      range: dateRange(this.state.filters, new Date(), ZONE),
      area: this.area(this.map.bounds()),
      sort: this.state.sort,
      origin: this.origin,
      limit: PAGE_SIZE,
      cursor: append ? this.cursor : null,
    });
    this.list.loading();
    const cache = this.listChanged ? 'no-cache' : undefined;
    this.listChanged = false;
    try {
      const result = await this.listRequest.run((signal) => getJson<Page<EventItem>>(`/api/v1/events?${params}`, signal, fetch, cache));
      if (result.stale) return;
      this.cursor = result.value.next_cursor;
      this.list.show(result.value.items, Boolean(this.cursor), append);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(0, 'Error', String(error));
      this.list.error(e, () => void this.refreshList());
    }
  }

  private async loadCalendar(start: Date, end: Date, signal: AbortSignal): Promise<Page<EventItem> | null> {
    const range = dateRange(this.state.filters, new Date(), ZONE);
    const from = range.start > start ? range.start : start;
    const to = range.end && range.end < end ? range.end : end;
    if (from >= to) return {items: [], next_cursor: null};
    const params = listParams({
      filters: this.state.filters,
      range: {start: from, end: to},
      area: {kind: 'bbox', ...normalizeBounds(this.map.bounds())},
      sort: 'start',
      origin: null,
      limit: CALENDAR_LIMIT,
    });
    return getJson<Page<EventItem>>(`/api/v1/events?${params}`, signal);
  }

  private popup(event: TileEvent): Node {
    const price = formatPrice({is_free: event.is_free, price_min: event.price_min, price_max: null, currency: event.currency}, LOCALE);
    return h(
      'div',
      {class: 'popup'},
      h('p', {class: 'popup-cat'}, dot(categoryColor(event.category)), categoryName(event.category)),
      h('p', {class: 'popup-title'}, event.title),
      h('p', {class: 'popup-meta'}, formatEventStart(event.starts_at, event.timezone, LOCALE, ZONE)),
      price ? h('p', {class: event.is_free ? 'popup-price free' : 'popup-price'}, price) : null,
    );
  }

  // ---- near me ---------------------------------------------------------------------------

  private nearMe(): void {
    const button = byId<HTMLButtonElement>('near-me');
    if (!('geolocation' in navigator)) {
      this.toasts.show('This browser cannot share your location. Move the map to where you want to look.', 'error', 'geo');
      return;
    }
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    const done = () => {
      button.removeAttribute('aria-busy');
      button.disabled = false;
    };
    navigator.geolocation.getCurrentPosition(
      (position) => {
        done();
        this.origin = {lat: position.coords.latitude, lon: position.coords.longitude};
        this.map.showMe({lon: this.origin.lon, lat: this.origin.lat});
        this.update({sort: 'distance'}, 'push');
        this.render();
        this.map.flyTo({lon: this.origin.lon, lat: this.origin.lat}, 13);
        this.toasts.show('Showing events near you, nearest first.', 'info', 'geo');
      },
      (error) => {
        done();
        const messages: Record<number, string> = {
          1: 'Location access was denied. To use Near me, allow location for this site in your browser settings — or move the map to where you want to look.',
          2: 'Your location is not available right now. Move the map to where you want to look.',
          3: 'Finding your location took too long. Please try again.',
        };
        this.toasts.show(messages[error.code] ?? `Your location could not be found (${error.message}).`, 'error', 'geo', 10_000);
      },
      {enableHighAccuracy: false, timeout: 10_000, maximumAge: 60_000},
    );
  }

  // ---- phone bottom sheet ------------------------------------------------------------------

  private wireSheet(): void {
    const app = byId('app');
    const handle = byId<HTMLButtonElement>('sheet-handle');
    const states = ['peek', 'half', 'full'] as const;
    const set = (s: (typeof states)[number]) => {
      app.dataset.sheet = s;
      handle.setAttribute('aria-expanded', String(s !== 'peek'));
      handle.querySelector('.sr-only')!.textContent = s === 'full' ? 'Show less of the list' : 'Show more of the list';
    };
    const index = () => states.indexOf(app.dataset.sheet as (typeof states)[number]);
    // A swipe on the handle moves one step up or down; a tap (or Enter) cycles through the steps.
    let startY: number | null = null;
    let swiped = false;
    handle.addEventListener('pointerdown', (e) => (startY = e.clientY));
    handle.addEventListener('pointerup', (e) => {
      const dy = startY === null ? 0 : e.clientY - startY;
      startY = null;
      swiped = Math.abs(dy) > 24;
      if (swiped) set(states[Math.max(0, Math.min(2, index() + (dy < 0 ? 1 : -1)))]);
    });
    handle.addEventListener('click', () => {
      if (swiped) {
        swiped = false;
        return;
      }
      set(states[(index() + 1) % states.length]);
    });
    // Keyboard users tabbing into the list get to see it.
    byId('results').addEventListener('focusin', (e) => {
      if (app.dataset.sheet === 'peek' && e.target !== handle) set('half');
    });
    set('peek');
  }
}

/** Where to start when the link has no map position: the largest city of the viewer's time zone. */
async function startView(state: AppState): Promise<MapView> {
  if (state.map) return state.map;
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1500);
    const zones = await getJson<Record<string, [number, number]>>('/basemap/timezones.json', controller.signal);
    clearTimeout(timer);
    const center = zones[ZONE];
    if (center) return {lon: center[0], lat: center[1], zoom: 11};
  } catch {
    // No guess: the world view with a Near me button is a fine start.
  }
  return WORLD;
}

/** A map position that came in the fragment (a link from another map) is written as `?map=` instead. */
function canonicalHashView(state: AppState): void {
  if (parseHashView(location.hash)) window.history.replaceState(null, '', `${location.pathname}${serializeState(state)}`);
}

/** The fragment of an open account page (`#/…`), or ''. */
function pageHash(): string {
  return isRouteHash(location.hash) ? location.hash : '';
}

/** Sign-in state (header, account pages) starts at once, beside the map. */
function startAccounts(): Session {
  const toasts = new Toasts(byId('toasts'));
  const notify = (text: string, kind: 'info' | 'error' = 'info') => toasts.show(text, kind, 'account');
  const session = new Session();
  session.subscribe((_state, _account, reason) => {
    if (reason === 'ended') notify('Your session has ended. Please sign in again.', 'error');
    if (reason === 'elsewhere') notify('You were logged out in another tab.');
    // Logging out takes the tickets kept on this device for offline use with it.
    if (reason === 'signed-out') void import('./tickets/logic').then(({forgetTickets}) => forgetTickets(localStorage));
  });
  new AccountNav(byId('account-nav'), session, {
    onSignedOut: () => notify('You are logged out.'),
    onError: (message) => notify(message, 'error'),
  });
  const pages = new PageHost({
    session,
    notify,
    mapCenter: () => {
      const map = window.happenings?.map;
      if (!map) return parseState(location.search).map;
      const {lat, lng} = map.getCenter();
      return {lat, lon: lng};
    },
  });
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && session.wake());
  void session.start();
  void pages.sync();
  return session;
}

const initial = parseState(location.search, location.hash);
canonicalHashView(initial);
const session = startAccounts();
void startView(initial).then((view) => new App(initial, view, session));
