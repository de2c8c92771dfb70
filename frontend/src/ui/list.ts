/**
 * The list of events in view: the accessible alternative to the map. Synced with the viewport by
 * the app; hovering or focusing an item highlights it on the map, and the map highlights items back.
 */
import {type ApiError, type EventItem, eventPoint} from '../lib/api';
import {formatCount} from '../lib/format';
import {eventCard} from './card';
import {byId, h} from './dom';

export interface ListCallbacks {
  onOpen: (item: EventItem, trigger: HTMLElement) => void;
  onHover: (item: EventItem | null) => void;
  onMore: () => void;
}

export class ResultsList {
  private readonly list = byId<HTMLUListElement>('event-list');
  private readonly state = byId('list-state');
  private readonly count = byId('results-count');
  private readonly more = byId<HTMLButtonElement>('load-more');
  private readonly items = new Map<string, EventItem>();
  private highlighted: string | null = null;

  constructor(
    private readonly cb: ListCallbacks,
    private readonly locale: string,
    private readonly viewerZone: string,
  ) {
    this.more.addEventListener('click', () => cb.onMore());
    this.list.addEventListener('keydown', (e) => this.onKey(e));
    const hover = (e: Event) => {
      const card = (e.target as HTMLElement).closest<HTMLElement>('.card');
      const item = card ? this.items.get(card.dataset.id ?? '') : undefined;
      cb.onHover(item ?? null);
    };
    this.list.addEventListener('mouseover', hover);
    this.list.addEventListener('focusin', hover);
    this.list.addEventListener('mouseleave', () => cb.onHover(null));
    this.list.addEventListener('focusout', (e) => {
      if (!this.list.contains(e.relatedTarget as Node | null)) cb.onHover(null);
    });
  }

  loading(): void {
    this.list.setAttribute('aria-busy', 'true');
    this.count.textContent = 'Loading events…';
    if (this.items.size === 0) {
      this.state.replaceChildren(h('div', {class: 'skeletons', 'aria-hidden': 'true'}, ...[1, 2, 3, 4].map(() => h('div', {class: 'skeleton'}))));
    }
  }

  show(items: EventItem[], hasMore: boolean, append: boolean): void {
    this.list.removeAttribute('aria-busy');
    if (!append) {
      this.items.clear();
      this.list.replaceChildren();
    }
    for (const item of items) {
      if (this.items.has(item.id)) continue;
      this.items.set(item.id, item);
      this.list.append(this.card(item));
    }
    const n = this.items.size;
    this.count.textContent = n === 0 ? 'No events in view' : `${formatCount(n, this.locale)}${hasMore ? '+' : ''} event${n === 1 ? '' : 's'} in view`;
    this.more.hidden = !hasMore;
    this.state.replaceChildren();
    if (n === 0) {
      this.state.replaceChildren(
        h('div', {class: 'empty'}, h('p', {class: 'empty-title'}, 'Nothing here'), h('p', {}, 'Zoom out or change filters to see more events.')),
      );
    }
  }

  error(error: ApiError, retry: () => void): void {
    this.list.removeAttribute('aria-busy');
    this.list.replaceChildren();
    this.items.clear();
    this.more.hidden = true;
    // The API refuses areas that are too large to list ("zoom in"; a radius beyond the documented
    // maximum is a 422); that is advice, not a failure.
    const refused = error.status === 400 || error.status === 422;
    const tooLarge = refused && (error.param === 'bbox' || error.param === 'radius_m' || /zoom in/i.test(error.detail));
    this.count.textContent = tooLarge ? 'Zoom in to list events' : 'Events could not be loaded';
    const button = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Try again');
    button.addEventListener('click', retry);
    this.state.replaceChildren(
      h(
        'div',
        {class: tooLarge ? 'empty' : 'error', role: tooLarge ? null : 'alert'},
        h('p', {class: 'empty-title'}, tooLarge ? 'Zoom in to see the list' : 'Something went wrong'),
        h('p', {}, tooLarge ? 'This area is too large to list. The map shows where events are: zoom in on one.' : error.detail),
        tooLarge ? null : button,
      ),
    );
  }

  private card(item: EventItem): HTMLLIElement {
    const button = eventCard(item, this.locale, this.viewerZone);
    button.addEventListener('click', () => this.cb.onOpen(item, button));
    return h('li', {}, button);
  }

  /** Arrow keys move between items; Home/End jump to the ends. */
  private onKey(e: KeyboardEvent): void {
    const cards = [...this.list.querySelectorAll<HTMLButtonElement>('.card')];
    const index = cards.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    const next = {ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: cards.length - 1}[e.key];
    if (next === undefined) return;
    e.preventDefault();
    cards[Math.max(0, Math.min(cards.length - 1, next))]?.focus();
  }

  /** Mark the item the pointer is over on the map (or none). */
  highlight(id: string | null): void {
    if (id === this.highlighted) return;
    this.list.querySelector(`.card.is-highlighted`)?.classList.remove('is-highlighted');
    this.highlighted = id;
    if (!id) return;
    const card = this.list.querySelector<HTMLElement>(`.card[data-id="${CSS.escape(id)}"]`);
    card?.classList.add('is-highlighted');
    card?.scrollIntoView({block: 'nearest'});
  }

  get(id: string): EventItem | undefined {
    return this.items.get(id);
  }

  point(id: string): {lat: number; lon: number} | null {
    const item = this.items.get(id);
    return item ? eventPoint(item) : null;
  }
}
