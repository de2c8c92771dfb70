/**
 * The "For you" tab beside the list: recommendations around the centre of the map, each with why
 * (signed in: learned from what the person saves, follows, views and goes to; otherwise what is
 * popular near here now). Opening an item opens the detail panel like the list does.
 */
import {type ApiError, getJson, LatestOnly} from '../lib/api';
import {categoryColor, categoryName} from '../lib/categories';
import {formatEventStart} from '../lib/format';
import {basisTitle, type RecommendationPage, type RecommendedEvent, reasonLine, recommendationsUrl} from '../lib/recommendations';
import {byId, dot, h} from './dom';

export interface ForYouDeps {
  center: () => {lat: number; lon: number};
  /** The signed-in fetch (null when nobody is signed in). */
  signedIn: () => boolean;
  fetchJson: <T>(url: string) => Promise<T>;
  onOpen: (id: string, trigger: HTMLElement) => void;
}

export class ForYouPanel {
  private readonly list = byId<HTMLUListElement>('for-you-list');
  private readonly request = new LatestOnly();

  constructor(
    private readonly deps: ForYouDeps,
    private readonly locale: string,
    private readonly viewerZone: string,
  ) {}

  show(): void {
    this.list.hidden = false;
    void this.refresh();
  }

  hide(): void {
    this.request.cancel();
    this.list.hidden = true;
  }

  get isOpen(): boolean {
    return !this.list.hidden;
  }

  async refresh(): Promise<void> {
    const signedIn = this.deps.signedIn();
    const url = recommendationsUrl(this.deps.center(), signedIn);
    byId('results-count').textContent = 'Loading recommendations…';
    this.list.setAttribute('aria-busy', 'true');
    try {
      const result = await this.request.run((signal) => (signedIn ? this.deps.fetchJson<RecommendationPage>(url) : getJson<RecommendationPage>(url, signal)));
      if (result.stale) return;
      this.render(result.value);
    } catch (error) {
      const e = error as ApiError;
      byId('results-count').textContent = 'Recommendations could not be loaded';
      this.list.replaceChildren(h('li', {class: 'empty', role: 'alert'}, e.detail ?? String(error)));
    } finally {
      this.list.removeAttribute('aria-busy');
    }
  }

  private render(page: RecommendationPage): void {
    byId('results-count').textContent = `${basisTitle(page)} · ${page.items.length} events`;
    if (!page.items.length) {
      this.list.replaceChildren(h('li', {class: 'empty'}, 'Nothing coming up around here yet.'));
      return;
    }
    this.list.replaceChildren(...page.items.map((item) => this.card(item)));
  }

  private card(item: RecommendedEvent): HTMLElement {
    const open = h(
      'button',
      {type: 'button', class: 'card-open'},
      h('span', {class: 'card-title'}, item.title),
      h('span', {class: 'card-meta'}, dot(categoryColor(item.category)), `${categoryName(item.category)} · ${formatEventStart(item.starts_at, item.timezone, this.locale, this.viewerZone)}`),
      h('span', {class: 'card-reasons'}, reasonLine(item)),
    );
    open.addEventListener('click', () => this.deps.onOpen(item.id, open));
    return h('li', {class: 'card recommendation', 'data-id': item.id}, open);
  }
}
