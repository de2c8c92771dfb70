/**
 * Who is signed in, in the header: a "Sign in" link, or a button opening a small menu (profile and
 * settings, log out). A disclosure, not an ARIA menu: Tab moves through its links, Escape closes it.
 */
import type {Me, Session} from '../lib/session';
import {h} from './dom';

export interface AccountNavCallbacks {
  /** After "Log out": the session has ended. */
  onSignedOut: () => void;
  onError: (message: string) => void;
}

/** The name shown for an account: its display name, or the part of its address before the @. */
export function shownName(me: Pick<Me, 'display_name' | 'email'>): string {
  return me.display_name?.trim() || me.email.split('@')[0];
}

/** A round picture of the person, or their initial on a coloured disc. Decorative: the name is written beside it. */
export function avatar(me: Pick<Me, 'display_name' | 'email' | 'avatar_url'>, size: 'small' | 'large' = 'small'): HTMLElement {
  const cls = `avatar avatar-${size}`;
  if (me.avatar_url) return h('img', {class: cls, src: me.avatar_url, alt: '', width: size === 'small' ? 36 : 96, height: size === 'small' ? 36 : 96});
  return h('span', {class: cls, 'aria-hidden': 'true'}, shownName(me).slice(0, 1).toUpperCase());
}

export class AccountNav {
  private menuOpen = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly session: Session,
    private readonly cb: AccountNavCallbacks,
  ) {
    session.subscribe(() => this.render());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.menuOpen) {
        e.preventDefault();
        this.setMenu(false, true);
      }
    });
    document.addEventListener('pointerdown', (e) => {
      if (this.menuOpen && !this.root.contains(e.target as Node)) this.setMenu(false, false);
    });
    this.root.addEventListener('focusout', (e) => {
      if (this.menuOpen && !this.root.contains(e.relatedTarget as Node | null) && e.relatedTarget) this.setMenu(false, false);
    });
    this.render();
  }

  private render(): void {
    this.menuOpen = false;
    const {state, account} = this.session;
    this.root.setAttribute('aria-busy', String(state === 'unknown'));
    if (state === 'unknown') {
      this.root.replaceChildren();
      return;
    }
    if (!account) {
      this.root.replaceChildren(h('a', {class: 'btn btn-secondary account-signin', href: '#/sign-in'}, 'Sign in'));
      return;
    }
    const name = shownName(account);
    const button = h(
      'button',
      {type: 'button', class: 'account-button', id: 'account-button', 'aria-expanded': 'false', 'aria-controls': 'account-menu'},
      avatar(account),
      h('span', {class: 'account-name'}, h('span', {class: 'sr-only'}, 'Account: '), name),
    );
    button.addEventListener('click', () => this.setMenu(!this.menuOpen, false));
    const logout = h('button', {type: 'button', class: 'account-menu-item'}, 'Log out');
    logout.addEventListener('click', () => void this.logOut(logout));
    const menu = h(
      'ul',
      {class: 'account-menu', id: 'account-menu', hidden: true},
      h('li', {}, h('p', {class: 'account-menu-who'}, h('strong', {}, name), h('span', {class: 'muted'}, account.email))),
      h('li', {}, h('a', {class: 'account-menu-item', href: '#/account'}, 'Profile and settings')),
      h('li', {}, h('a', {class: 'account-menu-item', href: '#/tickets'}, 'My tickets')),
      h('li', {}, h('a', {class: 'account-menu-item', href: '#/organize'}, 'Organize events')),
      h('li', {}, h('a', {class: 'account-menu-item', href: '#/door'}, 'Check tickets')),
      h('li', {}, h('a', {class: 'account-menu-item', href: '#/notifications'}, 'Notifications')),
      h('li', {}, logout),
    );
    menu.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('a')) this.setMenu(false, false);
    });
    this.root.replaceChildren(button, menu);
  }

  private setMenu(open: boolean, focusButton: boolean): void {
    const button = this.root.querySelector<HTMLButtonElement>('#account-button');
    const menu = this.root.querySelector<HTMLElement>('#account-menu');
    if (!button || !menu) return;
    this.menuOpen = open;
    button.setAttribute('aria-expanded', String(open));
    menu.hidden = !open;
    if (open) menu.querySelector<HTMLElement>('a, button')?.focus();
    else if (focusButton) button.focus();
  }

  private async logOut(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.session.signOut();
      this.cb.onSignedOut();
    } catch (error) {
      button.disabled = false;
      this.cb.onError(`Could not log out: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
