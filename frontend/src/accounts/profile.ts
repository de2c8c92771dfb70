/**
 * `#/account`: profile and settings (name, picture, language, time zone, units, interests, home
 * with explicit consent), saved events, followed organizers, the person's organizers, sessions,
 * the export of their data and the erase of their account.
 */
import {ApiError} from '../lib/api';
import {CATEGORIES} from '../lib/categories';
import {formatEventStart} from '../lib/format';
import type {Me} from '../lib/session';
import {viewerTimeZone} from '../lib/time';
import {avatar} from '../ui/accountnav';
import {h} from '../ui/dom';
import {errorText, jsonBody, PagedList, resendVerification, signedIn, text} from './common';
import {checkbox, choices, field, form, FormController, section, select, submitButton} from './forms';
import type {Page, PageContext} from './pages';
import {formOf, type ProfileForm, profilePatch} from './profiledata';
import {ROLE_NAMES} from './team';

const LOCALE = navigator.language || 'en';
const LANGUAGES = ['en', 'en-GB', 'en-US', 'ar', 'ca', 'cs', 'da', 'de', 'el', 'es', 'fi', 'fr', 'he', 'hi', 'hu', 'id', 'it', 'ja', 'ko', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sv', 'th', 'tr', 'uk', 'vi', 'zh-Hans', 'zh-Hant'];
const LIST_PAGE = 20;

function readForm(f: HTMLFormElement): ProfileForm {
  const data = new FormData(f);
  return {
    display_name: text(data, 'display_name'),
    locale: text(data, 'locale'),
    time_zone: text(data, 'time_zone'),
    units: text(data, 'units'),
    interests: data.getAll('interests').map(String).sort(),
    consent: data.get('home.consent') === 'on',
    lat: text(data, 'home.lat'),
    lon: text(data, 'home.lon'),
    radius_km: text(data, 'home.radius_m'),
    precision: text(data, 'home.precision'),
  };
}

export function accountPage(ctx: PageContext): Page {
  const root = h('div', {class: 'page-sections'}, h('p', {class: 'muted', role: 'status'}, 'Loading your account…'));
  let unsubscribe = () => {};
  void signedIn(ctx, '#/account').then((me) => {
    if (!me) return;
    render(ctx, root, me);
    // Signed out meanwhile (here, in another tab, or by the server): this page is no longer theirs.
    unsubscribe = ctx.session.subscribe((state) => state === 'signed-out' && ctx.replace('#/sign-in?next=%23%2Faccount'));
  });
  return {title: 'Your account', body: [root], dispose: () => unsubscribe()};
}

function render(ctx: PageContext, root: HTMLElement, me: Me): void {
  const parts: (HTMLElement | null)[] = [
    me.email_verified
      ? null
      : h(
          'div',
          {class: 'notice notice-warn'},
          h('p', {}, `Your email address ${me.email} is not confirmed yet: open the link in the mail we sent you. Until then you cannot start an organizer or join a team.`),
          resendVerification(ctx),
        ),
    profileSection(ctx, me),
    pictureSection(ctx, me),
    savedSection(ctx),
    calendarSection(ctx),
    followingSection(ctx),
    organizersSection(ctx),
    sessionsSection(ctx),
    dataSection(ctx),
    deleteSection(ctx),
  ];
  root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
}

// ---- calendar feed --------------------------------------------------------------------------

interface FeedToken {
  url: string;
  webcal_url: string;
}

/** A private calendar address of the saved events; making a new one stops the old one. */
function calendarSection(ctx: PageContext): HTMLElement {
  const out = h('p', {role: 'status', 'aria-live': 'polite'});
  const button = h('button', {class: 'btn btn-secondary', type: 'button'}, 'Subscribe to my calendar');
  button.addEventListener('click', () => {
    button.disabled = true;
    void ctx.session
      .json<FeedToken>('/api/v1/me/calendar-token', {method: 'POST'})
      .then((feed) => {
        out.replaceChildren(
          h('a', {href: feed.webcal_url, class: 'btn btn-primary'}, 'Open in my calendar app'),
          ' or copy this private address: ',
          h('input', {type: 'text', readonly: true, value: feed.url, 'aria-label': 'Calendar address', size: 40}),
        );
        button.textContent = 'Make a new address (the old one stops working)';
      })
      .catch((e: unknown) => {
        out.textContent = errorText(e);
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  return section('calendar', 'Your calendar', h('p', {}, 'Your saved events in any calendar app, kept up to date.'), button, out);
}

// ---- profile --------------------------------------------------------------------------------

function profileSection(ctx: PageContext, me: Me): HTMLElement {
  const initial = formOf(me);
  const languages = LANGUAGES.includes(initial.locale) || !initial.locale ? LANGUAGES : [...LANGUAGES, initial.locale];
  const names = new Intl.DisplayNames([LOCALE], {type: 'language'});
  const zones = supportedZones(initial.time_zone);
  const f = form(
    'Profile and settings',
    h('p', {}, h('strong', {}, 'Email address: '), me.email, me.email_verified ? ' (confirmed)' : ' (not confirmed yet)'),
    field({name: 'display_name', label: 'Your name', value: initial.display_name, autocomplete: 'name', maxlength: 100, hint: 'Shown to the teams you are in.'}),
    select('locale', 'Language', [['', 'Same as this browser'], ...languages.map((l) => [l, `${names.of(l) ?? l} (${l})`] as const)], initial.locale),
    select('time_zone', 'Time zone', [['', `Same as this device (${viewerTimeZone()})`], ...zones.map((z) => [z, z.replace(/_/g, ' ')] as const)], initial.time_zone),
    choices('units', 'Distances in', 'radio', [['metric', 'Kilometres'], ['imperial', 'Miles']], [initial.units]),
    choices('interests', 'Interests', 'checkbox', CATEGORIES.map((c) => [c.slug, c.name] as const), initial.interests),
    homeFieldset(ctx, initial),
    h('p', {class: 'actions'}, submitButton('Save profile')),
  );
  let before = initial;
  const controller = new FormController(f, async () => {
    const now = readForm(f);
    const updated = await ctx.session.json<Me>('/api/v1/me', jsonBody('PATCH', profilePatch(now, before)));
    before = formOf(updated);
    ctx.session.updateAccount(updated);
    controller.say('Your profile is saved.');
  });
  return section('profile', 'Profile and settings', f);
}

function supportedZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  if (current && !zones.includes(current)) zones = [...zones, current].sort();
  return zones;
}

function homeFieldset(ctx: PageContext, initial: ProfileForm): HTMLElement {
  const consent = checkbox('home.consent', 'Keep a home location: I agree that Happenings stores it, to suggest events near it', initial.consent);
  const details = h(
    'div',
    {class: 'home-details', hidden: !initial.consent},
    h('div', {class: 'field-row'}, field({name: 'home.lat', label: 'Latitude', type: 'number', step: 'any', min: '-90', max: '90', value: initial.lat, required: true, inputmode: 'decimal'}), field({name: 'home.lon', label: 'Longitude', type: 'number', step: 'any', min: '-180', max: '180', value: initial.lon, required: true, inputmode: 'decimal'})),
    h('p', {}, useMapCentre(ctx)),
    field({name: 'home.radius_m', label: 'How far to look, in km', type: 'number', step: 'any', min: '0.1', max: '200', value: initial.radius_km, inputmode: 'decimal'}),
    choices('home.precision', 'What to store', 'radio', [['area', 'Only the area around it (about 5 km², the point itself is not kept)'], ['exact', 'The exact point']], [initial.precision]),
  );
  const box = consent.querySelector('input')!;
  box.addEventListener('change', () => (details.hidden = !box.checked));
  return h(
    'fieldset',
    {class: 'field home', 'data-field': 'home'},
    h('legend', {}, 'Home location'),
    h('p', {class: 'field-hint'}, 'Optional. Without your consent no place is stored; unticking the box forgets it.'),
    consent,
    details,
  );
}

function useMapCentre(ctx: PageContext): HTMLButtonElement {
  const button = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Use the centre of the map');
  button.addEventListener('click', () => {
    const centre = ctx.mapCenter();
    const f = button.form;
    if (!centre || !f) return;
    f.querySelector<HTMLInputElement>('input[name="home.lat"]')!.value = centre.lat.toFixed(5);
    f.querySelector<HTMLInputElement>('input[name="home.lon"]')!.value = centre.lon.toFixed(5);
  });
  return button;
}

// ---- picture --------------------------------------------------------------------------------

function pictureSection(ctx: PageContext, me: Me): HTMLElement {
  const shown = h('div', {class: 'avatar-shown'}, avatar(me, 'large'));
  const remove = h('button', {type: 'button', class: 'btn btn-secondary', hidden: !me.avatar_url}, 'Remove picture');
  const f = form(
    'Picture',
    field({name: 'avatar', label: 'Choose a picture', type: 'file', accept: 'image/jpeg,image/png,image/webp', required: true, missing: 'Choose a picture to upload', hint: 'A JPEG, PNG or WebP image up to 5 MB. It is cropped to a square; its metadata (such as where it was taken) is removed.'}),
    h('p', {class: 'actions'}, submitButton('Upload picture'), remove),
  );
  const show = (next: Me) => {
    shown.replaceChildren(avatar(next, 'large'));
    remove.hidden = !next.avatar_url;
    ctx.session.updateAccount(next);
  };
  const controller = new FormController(f, async (data) => {
    const file = data.get('avatar');
    if (!(file instanceof File) || !file.size) throw new ApiError(422, 'Invalid request', 'Choose a picture to upload.', 'avatar');
    const updated = await ctx.session.json<Me>('/api/v1/me/avatar', {method: 'PUT', headers: {'Content-Type': file.type || 'application/octet-stream'}, body: file});
    show(updated);
    f.reset();
    controller.say('Your picture is changed.');
  });
  remove.addEventListener('click', async () => {
    remove.disabled = true;
    controller.clear();
    try {
      await ctx.session.json('/api/v1/me/avatar', {method: 'DELETE'});
      const current = ctx.session.account;
      if (current) show({...current, avatar_url: null});
      controller.say('Your picture is removed.');
      f.querySelector<HTMLInputElement>('input[name=avatar]')?.focus();
    } catch (error) {
      controller.showError(error);
    } finally {
      remove.disabled = false;
    }
  });
  return section('picture', 'Picture', h('div', {class: 'picture'}, shown, f));
}

// ---- lists ----------------------------------------------------------------------------------

interface SavedEvent {
  event_id: string;
  title: string;
  starts_at: string;
  timezone: string;
  status: string;
}

interface Followed {
  organizer_id: string;
  name: string;
}

interface MyOrganizer {
  id: string;
  name: string;
  role: string | null;
}

function query(params: Record<string, string | number | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null) q.set(k, String(v));
  return q.toString();
}

function removeButton(label: string, onRemove: () => Promise<void>, status: HTMLElement, done: () => void, said: string): HTMLButtonElement {
  const button = h('button', {type: 'button', class: 'btn btn-link', 'aria-label': label}, 'Remove');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await onRemove();
      status.textContent = said;
      done();
    } catch (error) {
      button.disabled = false;
      status.textContent = errorText(error);
    }
  });
  return button;
}

function savedSection(ctx: PageContext): HTMLElement {
  const status = h('p', {class: 'form-status', role: 'status'});
  const list = new PagedList<SavedEvent>(
    'Saved events',
    async (after) => {
      const page = await ctx.session.json<{items: SavedEvent[]; next_cursor: string | null}>(`/api/v1/me/saved-events?${query({limit: LIST_PAGE, cursor: after})}`);
      return {items: page.items, next: page.next_cursor};
    },
    (e, removed) =>
      h(
        'li',
        {class: 'item'},
        h('a', {href: `/?event=${encodeURIComponent(e.event_id)}`}, e.title),
        h('span', {class: 'muted'}, formatEventStart(e.starts_at, e.timezone, LOCALE, viewerTimeZone()), e.status === 'published' ? '' : ` · ${e.status}`),
        removeButton(`Remove ${e.title} from saved events`, () => ctx.session.json(`/api/v1/me/saved-events/${e.event_id}`, {method: 'DELETE'}), status, removed, `${e.title} is no longer saved.`),
      ),
    'You have not saved any events yet.',
  );
  void list.fetch();
  return section('saved', 'Saved events', list.root, status);
}

function followingSection(ctx: PageContext): HTMLElement {
  const status = h('p', {class: 'form-status', role: 'status'});
  const list = new PagedList<Followed>(
    'Organizers you follow',
    async (after) => {
      const page = await ctx.session.json<{items: Followed[]; next_cursor: string | null}>(`/api/v1/me/following?${query({limit: LIST_PAGE, cursor: after})}`);
      return {items: page.items, next: page.next_cursor};
    },
    (o, removed) =>
      h(
        'li',
        {class: 'item'},
        h('span', {}, o.name),
        removeButton(`Stop following ${o.name}`, () => ctx.session.json(`/api/v1/me/following/${o.organizer_id}`, {method: 'DELETE'}), status, removed, `You no longer follow ${o.name}.`),
      ),
    'You do not follow any organizers yet.',
  );
  void list.fetch();
  return section('following', 'Organizers you follow', list.root, status);
}

function organizersSection(ctx: PageContext): HTMLElement {
  const list = new PagedList<MyOrganizer>(
    'Your teams',
    async (after) => {
      const page = await ctx.session.json<{items: MyOrganizer[]; next_after: string | null}>(`/api/v1/organizers?${query({limit: LIST_PAGE, after})}`);
      return {items: page.items, next: page.next_after};
    },
    (o) =>
      h(
        'li',
        {class: 'item'},
        h('a', {href: `#/organizers/${o.id}/team`}, o.name),
        h('span', {class: 'muted'}, o.role ? ROLE_NAMES[o.role] ?? o.role : ''),
        o.role === 'owner' || o.role === 'editor' ? h('a', {href: `#/organizers/${o.id}/events`}, h('span', {}, 'Events'), h('span', {class: 'sr-only'}, ` of ${o.name}`)) : null,
      ),
    'You are not in any organizer’s team.',
  );
  void list.fetch();
  const f = form('Start an organizer', field({name: 'name', label: 'Organizer name', required: true, maxlength: 200, missing: 'Enter the organizer’s name'}), h('p', {class: 'actions'}, submitButton('Start organizer', 'btn btn-secondary')));
  new FormController(f, async (data) => {
    const made = await ctx.session.json<{id: string; name: string}>('/api/v1/organizers', jsonBody('POST', {name: text(data, 'name').trim()}));
    ctx.notify(`${made.name} is started: you are its owner.`);
    ctx.go(`#/organizers/${made.id}/team`);
  });
  return section('organizers', 'Your organizers', h('p', {}, 'Organizers publish events. Their teams are made of owners, editors and checkers.'), list.root, h('h3', {}, 'Start an organizer'), f);
}

// ---- sessions, data, delete ---------------------------------------------------------------------

function sessionsSection(ctx: PageContext): HTMLElement {
  const status = h('p', {class: 'form-status', role: 'status'});
  const out = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Log out');
  const everywhere = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Log out everywhere');
  const run = async (button: HTMLButtonElement, all: boolean) => {
    button.disabled = true;
    try {
      await ctx.session.signOut(all);
      ctx.notify(all ? 'You are logged out on every device.' : 'You are logged out.');
      ctx.close({replace: true});
    } catch (error) {
      button.disabled = false;
      status.textContent = `Could not log out: ${errorText(error)}`;
    }
  };
  out.addEventListener('click', () => void run(out, false));
  everywhere.addEventListener('click', () => void run(everywhere, true));
  return section(
    'sessions',
    'Signing out',
    h('p', {}, '“Log out everywhere” ends every session of your account at once: on this browser, other browsers and the apps.'),
    h('p', {class: 'actions'}, out, everywhere),
    status,
  );
}

function dataSection(ctx: PageContext): HTMLElement {
  const status = h('p', {class: 'form-status', role: 'status'});
  const button = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Download my data');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Gathering your data…';
    try {
      const response = await ctx.session.fetch('/api/v1/me/export');
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', {href: url, download: 'happenings-export.json', hidden: true});
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      status.textContent = 'Your data is downloaded (happenings-export.json).';
    } catch (error) {
      status.textContent = `Could not export your data: ${errorText(error)}`;
    } finally {
      button.disabled = false;
    }
  });
  return section('data', 'Your data', h('p', {}, 'Everything Happenings holds about you, in one JSON file.'), h('p', {class: 'actions'}, button), status);
}

function deleteSection(ctx: PageContext): HTMLElement {
  const open = h('button', {type: 'button', class: 'btn btn-danger-outline', 'aria-expanded': 'false', 'aria-controls': 'delete-form'}, 'Delete my account…');
  const f = form(
    'Delete my account',
    h('p', {}, 'This erases your account, profile, picture, saved events and follows, and signs you out everywhere. It cannot be undone.'),
    field({name: 'password', label: 'Your password', type: 'password', autocomplete: 'current-password', maxlength: 256, hint: 'Accounts made with a social sign-in have none: leave it empty, after signing in again.'}),
    checkbox('confirm', 'I understand that my account and its data are erased for good', false),
    h('p', {class: 'actions'}, submitButton('Delete my account permanently', 'btn btn-danger')),
  );
  f.id = 'delete-form';
  f.hidden = true;
  open.addEventListener('click', () => {
    const show = f.hidden;
    f.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    if (show) f.querySelector<HTMLInputElement>('input[name=password]')?.focus();
  });
  new FormController(f, async (data) => {
    if (data.get('confirm') !== 'on') {
      throw new ApiError(422, 'Invalid request', 'Tick the box to confirm.', 'confirm', [{param: 'confirm', message: 'Tick this box to confirm that you want your account erased'}]);
    }
    const password = text(data, 'password');
    await ctx.session.json('/api/v1/me', password ? jsonBody('DELETE', {password}) : {method: 'DELETE'});
    ctx.session.forget();
    ctx.notify('Your account and its personal data are deleted.');
    ctx.close({replace: true});
  });
  return section('delete', 'Delete account', h('p', {}, open), f);
}

