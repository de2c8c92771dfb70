/**
 * "Are you going?" in the event's panel (a chunk of its own, loaded when an event is opened): an
 * RSVP with the places left and the waitlist for events without tickets, the purchase of tickets
 * for events that sell them. Places left follow other people's answers: asked again every few
 * seconds while the panel is in view, and at once when the live feed says the capacity changed.
 */
import './tickets.css';
import {ApiError, getJson} from '../lib/api';
import {formatMoney} from '../lib/format';
import type {Session} from '../lib/session';
import {h} from '../ui/dom';
import {errorText} from '../accounts/common';
import {Purchase} from './purchase';
import {goingLabel, placesText, type Rsvp, type RsvpAnswer, rsvpText, type Tier, tierState} from './logic';

export interface AttendEvent {
  id: string;
  title: string;
  status: string;
  ends_at: string | null;
  starts_at: string;
}

export interface AttendDeps {
  session: Session;
  notify: (text: string, kind?: 'info' | 'error') => void;
  locale: string;
}

/** How often places left are asked again while the panel is open and visible. */
export const POLL_MS = 5_000;

const ANSWERS: [RsvpAnswer, string][] = [
  ['going', 'Going'],
  ['interested', 'Interested'],
  ['not_going', 'Not going'],
];

export class Attend {
  readonly root = h('section', {class: 'attend', 'aria-labelledby': 'attend-title'});
  private mode: 'rsvp' | 'tickets' | null = null;
  private rsvp: Rsvp = {status: null, waitlist_position: null, places_left: null};
  private tiers: Tier[] = [];
  private purchase: Purchase | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(
    private readonly event: AttendEvent,
    private readonly deps: AttendDeps,
  ) {
    this.unsubscribe = deps.session.subscribe(() => void this.load());
    void this.load();
    this.timer = setInterval(() => {
      if (document.visibilityState === 'visible' && !this.busy && !this.purchase?.active) void this.refresh();
    }, POLL_MS);
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    this.purchase?.dispose();
  }

  /** Ask again for the places left (and the person's answer): another person may have taken one. */
  async refresh(): Promise<void> {
    if (this.disposed || this.mode === null) return;
    const before = JSON.stringify([this.tiers, this.rsvp]);
    try {
      if (this.mode === 'tickets') this.tiers = (await getJson<{items: Tier[]}>(this.tiersUrl())).items;
      else this.rsvp = await this.readRsvp();
    } catch {
      return; // the next round tries again
    }
    // Only a change is drawn again (a person choosing a tier or an answer keeps their place).
    if (!this.disposed && JSON.stringify([this.tiers, this.rsvp]) !== before) this.render();
  }

  private tiersUrl(): string {
    return `/api/v1/events/${encodeURIComponent(this.event.id)}/tiers`;
  }

  private rsvpUrl(): string {
    return `/api/v1/events/${encodeURIComponent(this.event.id)}/rsvp`;
  }

  private async readRsvp(): Promise<Rsvp> {
    if (this.deps.session.account) return this.deps.session.json<Rsvp>(this.rsvpUrl());
    const fresh = await fetch(`/api/v1/events/${encodeURIComponent(this.event.id)}`, {cache: 'no-cache', headers: {Accept: 'application/json'}});
    if (!fresh.ok) throw new ApiError(fresh.status, 'Error', '');
    const detail = (await fresh.json()) as {places_left?: number | null};
    return {status: null, waitlist_position: null, places_left: detail.places_left ?? null};
  }

  private async load(): Promise<void> {
    if (this.event.status !== 'published' || (this.event.ends_at && new Date(this.event.ends_at) < new Date())) return;
    await this.deps.session.ready;
    try {
      this.tiers = (await getJson<{items: Tier[]}>(this.tiersUrl())).items;
      this.mode = this.tiers.length ? 'tickets' : 'rsvp';
      if (this.mode === 'rsvp') this.rsvp = await this.readRsvp();
    } catch {
      this.mode = null;
      this.root.replaceChildren();
      return;
    }
    if (!this.disposed) this.render();
  }

  private render(): void {
    if (this.purchase?.active) return; // the purchase in progress keeps the section
    const chosen = this.root.querySelector<HTMLInputElement>('input[name="tier"]:checked')?.value;
    const quantity = this.root.querySelector<HTMLInputElement>('#buy-quantity')?.value;
    const title = h('h3', {id: 'attend-title'}, this.mode === 'tickets' ? 'Tickets' : 'Are you going?');
    this.root.replaceChildren(title, ...(this.mode === 'tickets' ? this.ticketsView() : this.rsvpView()));
    if (chosen) this.purchase?.restore(chosen, quantity ?? '1');
  }

  // ---- RSVP --------------------------------------------------------------------------------

  private rsvpView(): Node[] {
    const places = h('p', {class: 'places-left', id: 'places-left', 'aria-live': 'polite'}, placesText(this.rsvp.places_left, this.deps.locale));
    if (!this.deps.session.account) return [places, signInLink('Sign in to answer')];
    const buttons = ANSWERS.map(([answer, label]) => {
      const text = answer === 'going' ? goingLabel(this.rsvp) : label;
      const pressed = this.rsvp.status === answer || (answer === 'going' && this.rsvp.status === 'waitlisted');
      const button = h('button', {type: 'button', class: pressed ? 'btn btn-primary' : 'btn btn-secondary', 'aria-pressed': String(pressed), 'data-answer': answer}, text);
      button.addEventListener('click', () => void this.answer(answer, button));
      return button;
    });
    const group = h('div', {class: 'rsvp-buttons', role: 'group', 'aria-label': 'Your answer'}, ...buttons);
    const status = h('p', {class: 'rsvp-status', id: 'rsvp-status', role: 'status'}, rsvpText(this.rsvp));
    const parts: Node[] = [places, group, status];
    if (this.rsvp.status !== null) {
      const cancel = h('button', {type: 'button', class: 'btn btn-link', id: 'rsvp-cancel'}, this.rsvp.status === 'waitlisted' ? 'Leave the waitlist' : 'Remove my answer');
      cancel.addEventListener('click', () => void this.withdraw(cancel));
      parts.push(cancel);
    }
    if (this.rsvp.status === 'going') parts.push(h('p', {}, h('a', {href: '#/tickets'}, 'Your ticket is in My tickets')));
    return parts;
  }

  private async answer(answer: RsvpAnswer, button: HTMLButtonElement): Promise<void> {
    await this.change(button, () => this.deps.session.json<Rsvp>(this.rsvpUrl(), {method: 'PUT', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({status: answer})}));
    if (this.rsvp.status === 'waitlisted') this.deps.notify(`No place is left: you are on the waitlist (number ${this.rsvp.waitlist_position ?? '?'}). We will email you if a place frees up.`);
  }

  private async withdraw(button: HTMLButtonElement): Promise<void> {
    await this.change(button, () => this.deps.session.json<Rsvp>(this.rsvpUrl(), {method: 'DELETE'}));
  }

  private async change(button: HTMLButtonElement, send: () => Promise<Rsvp>): Promise<void> {
    this.busy = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      this.rsvp = await send();
      this.render();
      this.root.querySelector<HTMLElement>(`[data-answer="${button.dataset.answer ?? 'going'}"]`)?.focus();
    } catch (error) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      this.deps.notify(`Your answer could not be saved: ${errorText(error)}`, 'error');
    } finally {
      this.busy = false;
    }
  }

  // ---- tickets -----------------------------------------------------------------------------

  private ticketsView(): Node[] {
    const now = new Date();
    const form = h('form', {class: 'buy-form', 'aria-label': 'Buy tickets'});
    const choices = this.tiers.map((tier) => {
      const state = tierState(tier, now);
      const id = `tier-${tier.id}`;
      const price = tier.price === 0 ? 'Free' : formatMoney(tier.price, tier.currency, this.deps.locale);
      const note = tierNote(tier, state, this.deps.locale);
      const input = h('input', {type: 'radio', name: 'tier', id, value: tier.id, disabled: state !== 'on-sale', 'aria-describedby': `${id}-note`});
      return h('div', {class: 'tier-choice'}, input, h('label', {for: id}, h('span', {class: 'tier-name'}, tier.name), ' ', h('span', {class: 'tier-price'}, price)), h('span', {class: 'tier-note muted', id: `${id}-note`}, note));
    });
    const onSale = this.tiers.some((t) => tierState(t, now) === 'on-sale');
    form.append(h('fieldset', {}, h('legend', {class: 'sr-only'}, 'Ticket type'), ...choices));
    if (!onSale) return [form, h('p', {class: 'places-left', id: 'places-left'}, this.tiers.every((t) => tierState(t, now) === 'sold-out') ? 'Sold out' : 'Not on sale now')];
    if (!this.deps.session.account) return [form, signInLink('Sign in to buy tickets')];
    this.purchase?.dispose();
    this.purchase = new Purchase(this.event, this.tiers, form, {
      ...this.deps,
      onDone: () => void this.refresh(),
      onChanged: () => this.render(),
      section: this.root,
    });
    return [form];
  }
}

function tierNote(tier: Tier, state: ReturnType<typeof tierState>, locale: string): string {
  const day = (iso: string) => new Intl.DateTimeFormat(locale, {day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit'}).format(new Date(iso));
  switch (state) {
    case 'sold-out':
      return 'Sold out';
    case 'not-yet':
      return `On sale from ${day(tier.sales_start!)}`;
    case 'ended':
      return 'Sales have ended';
    default:
      return placesText(tier.places_left, locale);
  }
}

function signInLink(text: string): HTMLElement {
  return h('p', {}, h('a', {class: 'btn btn-secondary', href: '#/sign-in'}, text));
}
