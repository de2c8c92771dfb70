/**
 * Opens the account page a `#/…` fragment names, over the map, and closes it when the fragment
 * goes. The pages are a chunk of their own, loaded the first time one is opened: the map's
 * visitors who never sign in do not download them.
 */
import {parseRoute, type Route} from '../lib/router';
import type {Session} from '../lib/session';
import type {Pages} from '../accounts/pages';

export interface PageHostOptions {
  session: Session;
  notify: (text: string, kind?: 'info' | 'error') => void;
  mapCenter: () => {lat: number; lon: number} | null;
}

export class PageHost {
  private pages: Promise<Pages> | null = null;
  private shown: Route | null = null;
  private version = 0;

  constructor(private readonly options: PageHostOptions) {
    window.addEventListener('hashchange', () => void this.sync());
    window.addEventListener('popstate', () => void this.sync());
  }

  /** Show what the address names now (a page, or the map); `again`: even when it is already shown. */
  async sync(again = false): Promise<void> {
    const route = parseRoute(location.hash);
    if (!again && JSON.stringify(route) === JSON.stringify(this.shown)) return;
    this.shown = route;
    const version = ++this.version;
    if (!route) {
      if (this.pages) (await this.pages).hide();
      return;
    }
    try {
      const pages = await this.load();
      if (version === this.version) pages.show(route);
    } catch {
      this.shown = null;
      this.options.notify('This page could not be loaded. Check your connection and reload.', 'error');
    }
  }

  private load(): Promise<Pages> {
    this.pages ??= import('../accounts/pages').then(
      ({Pages}) =>
        new Pages({
          ...this.options,
          go: (hash) => (location.hash = hash),
          replace: (hash) => this.navigate(`${location.pathname}${location.search}${hash}`, 'replace'),
          close: (o) => this.navigate(`${location.pathname}${location.search}`, o?.replace ? 'replace' : 'push'),
        }),
      (error: unknown) => {
        this.pages = null;
        throw error;
      },
    );
    return this.pages;
  }

  private navigate(url: string, how: 'push' | 'replace'): void {
    if (how === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    void this.sync(true);
  }
}
