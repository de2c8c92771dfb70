/**
 * `#/notifications`: push on this browser (a service worker and a Web Push subscription), the
 * person's geofences (a circle around the map's centre, listed and removed), what to be told and
 * when (channels, kinds, quiet hours) and the inbox of notices.
 */
import {CATEGORIES} from '../lib/categories';
import {h} from '../ui/dom';
import {errorText, jsonBody, signedIn} from './common';
import {checkbox, field, form, section, submitButton} from './forms';
import type {Page, PageContext} from './pages';

interface Geofence {
  id: string;
  name: string;
  area: {center?: {lat: number; lon: number}; radius_m?: number; type?: string};
  categories: string[] | null;
}

interface Settings {
  channels: Record<string, boolean>;
  kinds: Record<string, boolean>;
  quiet_hours: {start: string; end: string} | null;
}

interface Notice {
  id: number;
  kind: string;
  title: string;
  body: string;
  created_at: string;
  state: string;
}

const KINDS: [string, string][] = [
  ['nearby', 'New events inside my areas'],
  ['changes', 'Changes to events I saved (time, place, cancellation)'],
  ['reminders', 'Reminders 24 hours and 1 hour before'],
  ['starting_soon', '"Starting soon near you" when my device is inside one of my areas'],
];

export function notificationsPage(ctx: PageContext): Page {
  const root = h('div', {class: 'page-sections'}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  void signedIn(ctx, '#/notifications').then((me) => {
    if (!me) return;
    root.replaceChildren(pushSection(ctx), geofenceSection(ctx), settingsSection(ctx), inboxSection(ctx));
  });
  return {title: 'Notifications', body: [root]};
}

/** base64url (the VAPID public key) as the bytes `pushManager.subscribe` wants. */
export function keyBytes(base64url: string): Uint8Array {
  const padded = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function pushSection(ctx: PageContext): HTMLElement {
  const status = h('p', {class: 'muted', role: 'status'});
  const button = h('button', {type: 'button', class: 'btn btn-primary'}, 'Allow notifications on this browser');
  button.addEventListener('click', () => {
    void (async () => {
      try {
        if (!('serviceWorker' in navigator) || !('PushManager' in window)) throw new Error('This browser cannot receive push notifications.');
        const config = (await (await fetch('/api/v1/push/config')).json()) as {vapid_public_key: string | null};
        if (!config.vapid_public_key) throw new Error('Push is not set up on this server.');
        if ((await Notification.requestPermission()) !== 'granted') throw new Error('Notifications are blocked for this site.');
        const registration = await navigator.serviceWorker.register('/sw.js');
        const subscription = await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(config.vapid_public_key) as BufferSource});
        await ctx.session.json('/api/v1/me/devices', jsonBody('POST', {platform: 'webpush', subscription: subscription.toJSON()}));
        status.textContent = 'This browser will be told.';
      } catch (error) {
        status.textContent = errorText(error);
      }
    })();
  });
  return section('push', 'This browser', h('p', {}, 'Without push, notices still arrive in your inbox below.'), button, status);
}

function geofenceSection(ctx: PageContext): HTMLElement {
  const list = h('ul', {class: 'plain-list'});
  const load = async () => {
    const {items} = await ctx.session.json<{items: Geofence[]}>('/api/v1/me/geofences');
    list.replaceChildren(
      ...items.map((g) => {
        const remove = h('button', {type: 'button', class: 'btn btn-small'}, 'Remove');
        remove.addEventListener('click', () => void ctx.session.json(`/api/v1/me/geofences/${g.id}`, {method: 'DELETE'}).then(load, (e) => ctx.notify(errorText(e), 'error')));
        const what = g.area.radius_m ? `${(g.area.radius_m / 1000).toFixed(1)} km around ${g.area.center?.lat.toFixed(3)}, ${g.area.center?.lon.toFixed(3)}` : 'a drawn area';
        return h('li', {}, h('strong', {}, g.name || 'Area'), ` — ${what}${g.categories ? ` (${g.categories.join(', ')})` : ''} `, remove);
      }),
    );
    if (!items.length) list.append(h('li', {class: 'muted'}, 'No areas yet.'));
  };
  const category = h('select', {name: 'category'}, h('option', {value: ''}, 'Any category'), ...CATEGORIES.map((c) => h('option', {value: c.slug}, c.name)));
  const add = form(
    'New area',
    field({name: 'name', label: 'Name', value: 'Near home', maxlength: 80}),
    field({name: 'radius_km', label: 'Radius (km) around the map’s centre', value: '3', type: 'number', min: '0.1', max: '50', step: '0.1'}),
    h('label', {}, 'Category ', category),
    submitButton('Add this area'),
  );
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    const centre = ctx.mapCenter();
    if (!centre) return ctx.notify('Open the map first: the area is drawn around its centre.', 'error');
    const data = new FormData(add);
    const body = {
      name: String(data.get('name') ?? ''),
      area: {center: centre, radius_m: Math.round(Number(data.get('radius_km')) * 1000)},
      ...(data.get('category') ? {categories: [String(data.get('category'))]} : {}),
    };
    void ctx.session.json('/api/v1/me/geofences', jsonBody('POST', body)).then(load, (error) => ctx.notify(errorText(error), 'error'));
  });
  void load().catch((error) => ctx.notify(errorText(error), 'error'));
  return section('geofences', 'Your areas', h('p', {}, 'We tell you when an event is published, moved or rescheduled inside one of them.'), list, add);
}

function settingsSection(ctx: PageContext): HTMLElement {
  const holder = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  void ctx.session.json<Settings>('/api/v1/me/notification-settings').then((s) => {
    const quiet = s.quiet_hours ?? {start: '22:00', end: '07:00'};
    const f = form(
      'Notification settings',
      checkbox('fcm', 'Push to my phone (app)', s.channels.fcm),
      checkbox('webpush', 'Push to my browsers', s.channels.webpush),
      ...KINDS.map(([name, label]) => checkbox(name, label, s.kinds[name])),
      field({name: 'quiet_start', label: 'Quiet from', type: 'time', value: quiet.start.slice(0, 5)}),
      field({name: 'quiet_end', label: 'Quiet until', type: 'time', value: quiet.end.slice(0, 5)}),
      submitButton('Save'),
    );
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(f);
      const on = (name: string) => data.get(name) === 'on';
      const body = {
        channels: {fcm: on('fcm'), webpush: on('webpush')},
        kinds: Object.fromEntries(KINDS.map(([name]) => [name, on(name)])),
        quiet_hours: {start: String(data.get('quiet_start')), end: String(data.get('quiet_end'))},
      };
      void ctx.session.json('/api/v1/me/notification-settings', jsonBody('PATCH', body)).then(
        () => ctx.notify('Saved.'),
        (error) => ctx.notify(errorText(error), 'error'),
      );
    });
    holder.replaceChildren(f);
  });
  return section('notification-settings', 'What to be told, and when', holder);
}

function inboxSection(ctx: PageContext): HTMLElement {
  const list = h('ul', {class: 'plain-list'});
  void ctx.session.json<{items: Notice[]}>('/api/v1/me/inbox?limit=50').then(({items}) => {
    list.replaceChildren(...items.map((n) => h('li', {}, h('strong', {}, n.title), ` — ${n.body} `, h('span', {class: 'muted'}, new Date(n.created_at).toLocaleString()))));
    if (!items.length) list.append(h('li', {class: 'muted'}, 'Nothing yet.'));
  });
  return section('inbox', 'Inbox', list);
}
