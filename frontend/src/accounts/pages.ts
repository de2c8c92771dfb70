/**
 * The account pages (loaded on first use, in a chunk of their own): sign-in, sign-up, email
 * verification, password reset, profile and settings, a team, an invitation. A page covers the
 * map; everything under it is `inert` (not focusable, hidden from assistive technology) while it
 * is open, and focus moves to the page's heading. "Back to the map" (or the browser's back
 * button) closes it and puts focus back where it was.
 */
import './pages.css';
import type {Route} from '../lib/router';
import type {Session} from '../lib/session';
import {byId, h} from '../ui/dom';
import {notificationsPage} from './notifications';
import {accountPage} from './profile';
import {resetPage, signInPage, signUpPage, verifyPage} from './auth';
import {invitationPage, teamPage} from './team';
import {myTicketsPage} from '../tickets/mytickets';

export interface PageContext {
  session: Session;
  notify: (text: string, kind?: 'info' | 'error') => void;
  /** Open another route (a new history entry). */
  go: (hash: string) => void;
  /** Show another route in place of this one (e.g. the same page without the token in its URL). */
  replace: (hash: string) => void;
  /** Back to the map (`replace`: in place of this page in the history, e.g. after signing in). */
  close: (options?: {replace?: boolean}) => void;
  /** The centre of the map, for "use the map's centre" as a home location. */
  mapCenter: () => {lat: number; lon: number} | null;
}

export interface Page {
  title: string;
  body: Node[];
  /** Called when the page is replaced or closed: cancel what it still waits for. */
  dispose?: () => void;
}

export type PageBuilder = (ctx: PageContext, route: Route, signal: AbortSignal) => Page;

const BUILDERS: Record<Route['name'], PageBuilder> = {
  'sign-in': signInPage,
  'sign-up': signUpPage,
  verify: verifyPage,
  reset: resetPage,
  account: accountPage,
  notifications: notificationsPage,
  tickets: myTicketsPage,
  team: teamPage,
  invitation: invitationPage,
  organize: organizerPage,
  'my-events': organizerPage,
  'event-new': organizerPage,
  'event-edit': organizerPage,
  'event-sales': organizerPage,
  'event-door': organizerPage,
  door: organizerPage,
  'venue-new': organizerPage,
  audit: organizerPage,
  import: organizerPage,
  'not-found': notFoundPage,
};

const ORGANIZER_TITLES: Partial<Record<Route['name'], string>> = {
  organize: 'Organize events',
  door: 'Check tickets at the door',
  'my-events': 'Your events',
  'event-new': 'New event',
  'event-edit': 'Edit event',
  'event-sales': 'Attendees and sales',
  'event-door': 'Door check-in',
  'venue-new': 'Pin a venue',
  audit: 'Changes',
};

/**
 * The organizer pages come in a chunk of their own (they bring a map editor and the recurrence
 * editor): the page shows at once with its heading, and its content when the chunk is loaded.
 */
function organizerPage(ctx: PageContext, route: Route, signal: AbortSignal): Page {
  const root = h('div', {class: 'page-sections'}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  let inner: Page | null = null;
  import('../organizer/organizer-pages').then(
    ({organizerPage: build}) => {
      if (signal.aborted) return;
      inner = build(ctx, route, signal);
      root.replaceChildren(...inner.body);
    },
    () => root.replaceChildren(h('p', {role: 'alert'}, 'This page could not be loaded. Check your connection and reload.')),
  );
  return {title: ORGANIZER_TITLES[route.name] ?? 'Organize events', body: [root], dispose: () => inner?.dispose?.()};
}

export class Pages {
  private readonly root = byId('page');
  private readonly body = byId('page-body');
  private readonly documentTitle = document.title;
  private controller: AbortController | null = null;
  private current: Page | null = null;
  private opener: HTMLElement | null = null;

  constructor(private readonly ctx: PageContext) {
    byId('page-back').addEventListener('click', (e) => {
      e.preventDefault();
      ctx.close();
    });
  }

  get isOpen(): boolean {
    return !this.root.hidden;
  }

  show(route: Route): void {
    if (!this.isOpen) this.opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.dispose();
    this.controller = new AbortController();
    const page = BUILDERS[route.name](this.ctx, route, this.controller.signal);
    this.current = page;
    const title = h('h1', {id: 'page-title', tabindex: '-1'}, page.title);
    this.body.replaceChildren(title, ...page.body);
    this.body.dataset.page = route.name;
    byId<HTMLAnchorElement>('page-back').href = `${location.pathname}${location.search}`;
    document.title = `${page.title} — Happenings`;
    this.setOpen(true);
    this.root.scrollTop = 0;
    title.focus();
  }

  hide(): void {
    if (!this.isOpen) return;
    this.dispose();
    this.body.replaceChildren();
    document.title = this.documentTitle;
    this.setOpen(false);
    const back = this.opener?.isConnected ? this.opener : document.querySelector<HTMLElement>('#account-button, .account-signin');
    back?.focus();
    this.opener = null;
  }

  private setOpen(open: boolean): void {
    this.root.hidden = !open;
    const app = byId('app');
    app.classList.toggle('page-open', open);
    // Everything but the page and the messages is out of reach while a page is open.
    for (const child of app.children) if (child !== this.root && child.id !== 'toasts') (child as HTMLElement).inert = open;
  }

  private dispose(): void {
    this.controller?.abort();
    this.controller = null;
    this.current?.dispose?.();
    this.current = null;
  }
}

function notFoundPage(ctx: PageContext): Page {
  const back = h('a', {href: `${location.pathname}${location.search}`}, 'Go back to the map');
  back.addEventListener('click', (e) => {
    e.preventDefault();
    ctx.close();
  });
  return {title: 'Page not found', body: [h('p', {}, 'There is no page at this address. ', back, '.')]};
}
