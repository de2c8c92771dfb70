/** Small pieces the account pages share: posting without a session, lists with "show more", asking twice. */
import {ApiError, problemFrom} from '../lib/api';
import {type Route, routeHash, withoutSecret} from '../lib/router';
import type {Me} from '../lib/session';
import {h} from '../ui/dom';
import type {PageContext} from './pages';

/** A JSON POST that needs no sign-in (register, verify, reset); refusals become an `ApiError`. */
export async function post(url: string, body: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {Accept: 'application/json', 'Content-Type': 'application/json'},
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Network error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!response.ok) throw await problemFrom(response);
  return response;
}

/** JSON request options for the signed-in `session.json` / `session.fetch`. */
export function jsonBody(method: string, body: unknown): RequestInit {
  return {method, headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)};
}

/** A one-time token is spent: keep it out of the address bar and the history (the page stays as it is). */
export function dropToken(route: Route): void {
  const bare = withoutSecret(route);
  if (bare) history.replaceState(null, '', `${location.pathname}${location.search}${routeHash(bare)}`);
}

export function text(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

/** A note that replaces a form once it has done its work; focused, so it is read out. */
export function done(container: HTMLElement, ...children: (Node | string)[]): void {
  const note = h('div', {class: 'notice', role: 'status', tabindex: '-1'}, ...children);
  container.replaceChildren(note);
  note.focus();
}

/** The signed-in person, once known; otherwise the sign-in page takes this one's place (and comes back after). */
export async function signedIn(ctx: PageContext, here: string): Promise<Me | null> {
  await ctx.session.ready;
  if (ctx.session.account) return ctx.session.account;
  ctx.replace(routeHash({name: 'sign-in', next: here, error: null}));
  return null;
}

/** Move focus to a heading (after what was focused went away), without adding it to the Tab order. */
export function focusHeading(heading: HTMLElement | null): void {
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.detail ? sentenceCase(error.detail) : error.title;
  return error instanceof Error ? error.message : String(error);
}

function sentenceCase(text: string): string {
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export interface PageOf<T> {
  items: T[];
  next: string | null;
}

/**
 * A list filled page by page: `load(after)` fetches the page after `after` (null: the first);
 * a "Show more" button fetches the next. Empty: `empty` is shown instead.
 */
export class PagedList<T> {
  readonly root: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly more: HTMLButtonElement;
  private readonly state: HTMLElement;
  private next: string | null = null;
  private count = 0;

  constructor(
    label: string,
    private readonly load: (after: string | null) => Promise<PageOf<T>>,
    private readonly item: (value: T, remove: () => void) => HTMLElement,
    private readonly empty: string,
  ) {
    this.list = h('ul', {class: 'items', 'aria-label': label});
    this.more = h('button', {type: 'button', class: 'btn btn-secondary', hidden: true}, 'Show more');
    this.more.addEventListener('click', () => void this.fetch(true));
    this.state = h('p', {class: 'muted', role: 'status'}, 'Loading…');
    this.root = h('div', {class: 'paged'}, this.state, this.list, this.more);
  }

  async fetch(append = false): Promise<void> {
    this.more.disabled = true;
    this.list.setAttribute('aria-busy', 'true');
    try {
      const page = await this.load(append ? this.next : null);
      if (!append) {
        this.list.replaceChildren();
        this.count = 0;
      }
      const firstNew = page.items.length ? this.list.children.length : -1;
      for (const value of page.items) this.add(value);
      this.next = page.next;
      this.more.hidden = !page.next;
      this.showCount();
      // "Show more" from the keyboard: carry on reading at the first new item.
      if (append && firstNew >= 0) (this.list.children[firstNew]?.querySelector('a, button') as HTMLElement | null)?.focus();
    } catch (error) {
      this.state.textContent = `Could not load this list: ${errorText(error)}`;
    } finally {
      this.more.disabled = false;
      this.list.removeAttribute('aria-busy');
    }
  }

  private add(value: T): void {
    this.count++;
    const row: HTMLElement = this.item(value, () => {
      row.remove();
      this.count--;
      this.showCount();
    });
    this.list.append(row);
  }

  private showCount(): void {
    this.state.textContent = this.count ? '' : this.empty;
    this.state.hidden = this.count > 0;
  }
}

/**
 * An action that is asked twice: the button is swapped for "Sure? [Yes] [Cancel]", with focus on
 * "Yes"; Cancel (or Escape) puts the button back and focuses it again.
 */
export function askTwice(button: HTMLButtonElement, question: string, yes: string, act: () => Promise<void>, onError: (error: unknown) => void): void {
  button.addEventListener('click', () => {
    const confirm = h('button', {type: 'button', class: 'btn btn-danger'}, yes);
    const cancel = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Cancel');
    const box = h('span', {class: 'ask', role: 'group', 'aria-label': question}, h('span', {class: 'ask-question'}, question), confirm, cancel);
    const restore = () => {
      box.replaceWith(button);
      button.focus();
    };
    cancel.addEventListener('click', restore);
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        restore();
      }
    });
    confirm.addEventListener('click', () => {
      confirm.disabled = true;
      cancel.disabled = true;
      act().then(
        () => box.isConnected && box.replaceWith(button),
        (error) => {
          confirm.disabled = false;
          cancel.disabled = false;
          onError(error);
          confirm.focus();
        },
      );
    });
    button.replaceWith(box);
    confirm.focus();
  });
}

/** "Send the link again": a new verification mail for the signed-in, unconfirmed account. */
export function resendVerification(ctx: PageContext): HTMLElement {
  const status = h('span', {class: 'form-status', role: 'status'});
  const button = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Send the link again');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = '';
    try {
      const answer = await ctx.session.json<{detail: string}>('/api/v1/auth/verify/resend', {method: 'POST'});
      status.textContent = answer.detail;
    } catch (error) {
      status.textContent = `The link could not be sent: ${errorText(error)}`;
    } finally {
      button.disabled = false;
    }
  });
  return h('span', {class: 'actions'}, button, status);
}
