/**
 * `#/organizers/{id}/team`: the members of an organizer with their roles; owners change roles,
 * remove members, invite by email and revoke invitations; anyone may leave.
 * `#/invitations/{token}` (and the mailed `#/invitation?token=`): accept an invitation.
 */
import {ApiError} from '../lib/api';
import {routeHash, type Route} from '../lib/router';
import type {Me} from '../lib/session';
import {shownName} from '../ui/accountnav';
import {h} from '../ui/dom';
import {askTwice, dropToken, errorText, focusHeading, jsonBody, signedIn, text} from './common';
import {field, form, FormController, section, select, submitButton} from './forms';
import type {Page, PageContext} from './pages';

export const ROLE_NAMES: Record<string, string> = {owner: 'Owner', editor: 'Editor', checker: 'Checker'};
const ROLES = [
  ['owner', 'Owner'],
  ['editor', 'Editor'],
  ['checker', 'Checker'],
] as const;
const ROLE_WORDS: Record<string, string> = {owner: 'an owner', editor: 'an editor', checker: 'a checker'};
const PAGE = 200;

interface Organizer {
  id: string;
  name: string;
  role: string | null;
}

interface Member {
  account_id: string;
  email: string;
  display_name: string | null;
  role: string;
  joined_at: string;
}

interface Invitation {
  id: string;
  email: string;
  role: string;
  expires_at: string;
}

interface Membership {
  organizer_id: string;
  organizer_name: string;
  role: string;
}

/** Every item of a keyset-paged list (`next_after`), up to `cap` items. */
async function all<T>(load: (after: string | null) => Promise<{items: T[]; next_after: string | null}>, cap = 2000): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const page = await load(after);
    items.push(...page.items);
    after = page.next_after;
  } while (after && items.length < cap);
  return items;
}

export function teamPage(ctx: PageContext, route: Route): Page {
  const id = route.name === 'team' ? route.organizerId : '';
  const root = h('div', {class: 'page-sections'}, h('p', {class: 'muted', role: 'status'}, 'Loading the team…'));
  void (async () => {
    const me = await signedIn(ctx, `#/organizers/${id}/team`);
    if (!me) return;
    try {
      const organizer = await ctx.session.json<Organizer>(`/api/v1/organizers/${id}`);
      new Team(ctx, root, organizer, me).render();
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404;
      root.replaceChildren(h('p', {role: 'alert'}, missing ? 'There is no such organizer, or you are not in its team.' : `The team could not be loaded: ${errorText(error)}`), h('p', {}, h('a', {href: '#/account'}, 'Your account')));
    }
  })();
  return {title: 'Team', body: [root]};
}

class Team {
  private readonly status = h('p', {class: 'form-status', role: 'status', 'aria-live': 'polite'});
  private readonly problem = h('div', {class: 'form-alert', role: 'alert', hidden: true});
  private readonly members = h('tbody');
  private readonly invitations = h('ul', {class: 'items', 'aria-label': 'Open invitations'});
  private readonly owner: boolean;

  constructor(
    private readonly ctx: PageContext,
    private readonly root: HTMLElement,
    private readonly organizer: Organizer,
    private readonly me: Me,
  ) {
    this.owner = organizer.role === 'owner' || (organizer.role === null && me.role === 'admin');
  }

  render(): void {
    const title = document.getElementById('page-title');
    if (title) title.textContent = `Team of ${this.organizer.name}`;
    document.title = `Team of ${this.organizer.name} — Happenings`;
    const table = h(
      'table',
      {class: 'table'},
      h('caption', {class: 'sr-only'}, `Members of ${this.organizer.name}`),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Member'), h('th', {scope: 'col'}, 'Role'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
      this.members,
    );
    const parts: (HTMLElement | null)[] = [
      h('p', {}, this.organizer.role ? `Your role: ${ROLE_NAMES[this.organizer.role] ?? this.organizer.role}.` : 'You look after this organizer as an admin.'),
      section('members', 'Members', this.problem, h('div', {class: 'table-wrap'}, table), this.status),
      this.owner ? this.inviteSection() : null,
      section(
        'roles',
        'What each role may do',
        h('dl', {class: 'facts'}, h('dt', {}, 'Owner'), h('dd', {}, 'Runs the team: invites, changes roles, removes members; and all an editor does.'), h('dt', {}, 'Editor'), h('dd', {}, 'Publishes and edits the organizer’s events and venues.'), h('dt', {}, 'Checker'), h('dd', {}, 'Checks tickets at the door.')),
      ),
      h('p', {}, h('a', {href: '#/account'}, 'Back to your account')),
    ];
    this.root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
    void this.loadMembers();
    if (this.owner) void this.loadInvitations();
  }

  private say(text: string): void {
    this.problem.hidden = true;
    this.status.textContent = text;
  }

  private fail(error: unknown): void {
    this.status.textContent = '';
    this.problem.replaceChildren(h('p', {}, errorText(error)));
    this.problem.hidden = false;
  }

  private async loadMembers(): Promise<void> {
    try {
      const members = await all((after) => this.ctx.session.json<{items: Member[]; next_after: string | null}>(`/api/v1/organizers/${this.organizer.id}/members?limit=${PAGE}${after ? `&after=${after}` : ''}`));
      this.members.replaceChildren(...members.map((m) => this.memberRow(m)));
    } catch (error) {
      this.fail(error);
    }
  }

  private memberRow(m: Member): HTMLTableRowElement {
    const self = m.account_id === this.me.id;
    const name = m.display_name || m.email;
    const roleBox = h('div', {class: 'role-cell'});
    const roleCell = h('td', {}, roleBox);
    const actions = h('td', {class: 'row-actions'});
    if (this.owner) {
      const choice = select(`role-${m.account_id}`, `Role of ${name}`, ROLES, m.role);
      choice.classList.add('inline');
      const change = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Change role');
      change.addEventListener('click', () => void this.changeRole(m, choice.querySelector('select')!, change));
      roleBox.append(choice, change);
    } else {
      roleBox.append(ROLE_NAMES[m.role] ?? m.role);
    }
    if (this.owner || self) {
      const remove = h('button', {type: 'button', class: 'btn btn-secondary'}, self ? 'Leave team' : 'Remove');
      askTwice(
        remove,
        self ? `Leave ${this.organizer.name}?` : `Remove ${name}?`,
        self ? 'Yes, leave' : 'Yes, remove',
        async () => {
          await this.ctx.session.json(`/api/v1/organizers/${this.organizer.id}/members/${m.account_id}`, {method: 'DELETE'});
          if (self) {
            this.ctx.notify(`You left ${this.organizer.name}.`);
            this.ctx.replace('#/account');
            return;
          }
          row.remove();
          this.say(`${name} is no longer in the team.`);
          focusHeading(this.root.querySelector<HTMLElement>('#members-title'));
        },
        (error) => this.fail(error),
      );
      actions.append(remove);
    }
    const row = h(
      'tr',
      {'data-account': m.account_id},
      h('th', {scope: 'row'}, h('span', {class: 'member-name'}, name, self ? ' (you)' : ''), m.display_name ? h('span', {class: 'muted member-email'}, m.email) : null),
      roleCell,
      actions,
    );
    return row;
  }

  private async changeRole(m: Member, choice: HTMLSelectElement, button: HTMLButtonElement): Promise<void> {
    if (choice.value === m.role) {
      this.say(`${m.display_name || m.email} is already ${ROLE_WORDS[m.role]}.`);
      return;
    }
    button.disabled = true;
    try {
      const updated = await this.ctx.session.json<Member>(`/api/v1/organizers/${this.organizer.id}/members/${m.account_id}`, jsonBody('PATCH', {role: choice.value}));
      m.role = updated.role;
      this.say(`${updated.display_name || updated.email} is now ${ROLE_WORDS[updated.role]}.`);
      if (m.account_id === this.me.id && updated.role !== 'owner') this.ctx.replace(`#/organizers/${this.organizer.id}/team`); // no longer an owner: fewer controls
    } catch (error) {
      choice.value = m.role;
      this.fail(error);
    } finally {
      button.disabled = false;
    }
  }

  private inviteSection(): HTMLElement {
    const f = form(
      'Invite someone',
      h('div', {class: 'field-row'}, field({name: 'email', label: 'Email address', type: 'email', autocomplete: 'off', required: true, maxlength: 254}), select('role', 'Role', ROLES, 'editor')),
      h('p', {class: 'actions'}, submitButton('Send invitation')),
    );
    const controller = new FormController(f, async (data) => {
      const invited = await this.ctx.session.json<Invitation>(`/api/v1/organizers/${this.organizer.id}/invitations`, jsonBody('POST', {email: text(data, 'email').trim(), role: text(data, 'role')}));
      f.reset();
      controller.say(`Invitation sent to ${invited.email}.`);
      await this.loadInvitations();
    });
    return section(
      'invite',
      'Invite someone',
      h('p', {}, 'They get a link by mail, valid for a week, and join once they accept it signed in with that address.'),
      f,
      h('h3', {id: 'invitations-title'}, 'Open invitations'),
      this.invitations,
    );
  }

  private async loadInvitations(): Promise<void> {
    try {
      const items = await all((after) => this.ctx.session.json<{items: Invitation[]; next_after: string | null}>(`/api/v1/organizers/${this.organizer.id}/invitations?limit=${PAGE}${after ? `&after=${after}` : ''}`));
      const when = new Intl.DateTimeFormat(navigator.language || 'en', {dateStyle: 'medium', timeStyle: 'short'});
      this.invitations.replaceChildren(
        ...(items.length ? items.map((i) => this.invitationRow(i, when)) : [h('li', {class: 'muted'}, 'No open invitations.')]),
      );
    } catch (error) {
      this.fail(error);
    }
  }

  private invitationRow(i: Invitation, when: Intl.DateTimeFormat): HTMLLIElement {
    const revoke = h('button', {type: 'button', class: 'btn btn-link', 'aria-label': `Revoke the invitation of ${i.email}`}, 'Revoke');
    const row = h('li', {class: 'item'}, h('span', {}, i.email), h('span', {class: 'muted'}, `${ROLE_NAMES[i.role] ?? i.role} · until ${when.format(new Date(i.expires_at))}`), revoke);
    revoke.addEventListener('click', async () => {
      revoke.disabled = true;
      try {
        await this.ctx.session.json(`/api/v1/organizers/${this.organizer.id}/invitations/${i.id}`, {method: 'DELETE'});
        row.remove();
        this.say(`The invitation of ${i.email} is revoked.`);
        focusHeading(document.getElementById('invitations-title'));
      } catch (error) {
        revoke.disabled = false;
        this.fail(error);
      }
    });
    return row;
  }
}

// ---- accepting an invitation ------------------------------------------------------------------

const INVITATION_ERRORS: Record<string, string> = {
  'email-not-verified': 'Confirm your email address first (open the link in the mail we sent when you signed up), then accept.',
};

export function invitationPage(ctx: PageContext, route: Route): Page {
  const token = route.name === 'invitation' ? route.token : null;
  const root = h('div', {}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  if (!token) {
    root.replaceChildren(h('p', {role: 'alert'}, 'This invitation link is incomplete. Open the link in the mail again.'));
    return {title: 'Invitation', body: [root]};
  }
  const here = routeHash({name: 'invitation', token});
  void ctx.session.ready.then(() => {
    const me = ctx.session.account;
    if (!me) {
      root.replaceChildren(
        h('p', {}, 'You are invited to join a team on Happenings. Sign in with the email address the invitation was sent to, then accept it here.'),
        h('p', {class: 'actions'}, h('a', {class: 'btn btn-primary', href: routeHash({name: 'sign-in', next: here, error: null})}, 'Sign in'), h('a', {class: 'btn btn-secondary', href: '#/sign-up'}, 'Create an account')),
      );
      return;
    }
    const f = form('Accept the invitation', h('p', {}, `You are invited to join a team on Happenings. You are signed in as ${shownName(me)} (${me.email}).`), h('p', {class: 'actions'}, submitButton('Accept invitation')));
    const box = h('div', {}, f);
    new FormController(f, async () => {
      let joined: Membership;
      try {
        joined = await ctx.session.json<Membership>(`/api/v1/invitations/${encodeURIComponent(token)}/accept`, {method: 'POST'});
      } catch (error) {
        if (error instanceof ApiError) {
          const known = INVITATION_ERRORS[error.code] ?? (error.status === 404 ? 'This invitation is unknown, already used or revoked.' : null);
          if (known) throw new ApiError(error.status, error.title, known);
        }
        throw error;
      }
      dropToken(route);
      const note = h(
        'div',
        {class: 'notice', role: 'status', tabindex: '-1'},
        h('p', {}, `You joined ${joined.organizer_name} as ${ROLE_WORDS[joined.role] ?? joined.role}.`),
        h('p', {}, h('a', {class: 'btn btn-primary', href: `#/organizers/${joined.organizer_id}/team`}, 'See the team')),
      );
      box.replaceChildren(note);
      note.focus();
    });
    root.replaceChildren(box);
  });
  return {title: 'Invitation', body: [root]};
}
