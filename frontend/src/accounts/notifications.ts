/**
 * `#/notifications`: push on this browser (a service worker and a Web Push subscription), the
 * person's geofences (drawn on a map, listed, edited and removed: `geofences.ts`), what to be told
 * and when (channels, kinds, quiet hours) and the inbox of notices (checked again every few seconds
 * while the page is open).
 */
import {viewerTimeZone} from '../lib/time';
import {h} from '../ui/dom';
import {errorText, jsonBody, signedIn} from './common';
import {checkbox, field, form, section, submitButton} from './forms';
import {geofenceSection} from './geofences';
import type {Page, PageContext} from './pages';

interface Settings {
  channels: Record<string, boolean>;
  kinds: Record<string, boolean>;
  quiet_hours: {start: string; end: string} | null;
  time_zone: string | null;
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

const INBOX_EVERY_MS = 5000;

export function notificationsPage(ctx: PageContext): Page {
  const root = h('div', {class: 'page-sections'}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  const disposers: (() => void)[] = [];
  let disposed = false;
  void signedIn(ctx, '#/notifications').then((me) => {
    if (!me || disposed) return;
    const areas = geofenceSection(ctx);
    const inbox = inboxSection(ctx);
    disposers.push(areas.dispose, inbox.dispose);
    root.replaceChildren(pushSection(ctx), areas.element, settingsSection(ctx), inbox.element);
  });
  const dispose = () => {
    disposed = true;
    for (const d of disposers.splice(0)) d();
  };
  return {title: 'Notifications', body: [root], dispose};
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

function settingsSection(ctx: PageContext): HTMLElement {
  const holder = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  void ctx.session.json<Settings>('/api/v1/me/notification-settings').then((s) => {
    const quiet = s.quiet_hours ?? {start: '22:00', end: '07:00'};
    const none = quiet.start.slice(0, 5) === quiet.end.slice(0, 5);
    const zone = s.time_zone ?? viewerTimeZone();
    const f = form(
      'Notification settings',
      checkbox('fcm', 'Push to my phone (app)', s.channels.fcm),
      checkbox('webpush', 'Push to my browsers', s.channels.webpush),
      ...KINDS.map(([name, label]) => checkbox(name, label, s.kinds[name])),
      checkbox('no_quiet', 'No quiet hours: tell me at any time of day', none),
      field({name: 'quiet_start', label: 'Quiet from', type: 'time', value: none ? '22:00' : quiet.start.slice(0, 5), hint: `Your time (${zone}). Notices wait until the quiet hours end; the inbox has them at once.`}),
      field({name: 'quiet_end', label: 'Quiet until', type: 'time', value: none ? '07:00' : quiet.end.slice(0, 5)}),
      submitButton('Save'),
    );
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(f);
      const on = (name: string) => data.get(name) === 'on';
      const body = {
        channels: {fcm: on('fcm'), webpush: on('webpush')},
        kinds: Object.fromEntries(KINDS.map(([name]) => [name, on(name)])),
        // Equal start and end: no quiet hours.
        quiet_hours: on('no_quiet') ? {start: '00:00', end: '00:00'} : {start: String(data.get('quiet_start')), end: String(data.get('quiet_end'))},
        // Quiet hours are kept in the person's own time: this device's zone until they choose one.
        time_zone: zone,
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

const STATES: Record<string, string> = {
  pending: 'waiting (quiet hours, or a device to try again)',
  sent: 'sent',
  inbox_only: 'here only (the day’s limit of pushes was reached)',
  failed: 'could not be pushed',
};

function inboxSection(ctx: PageContext): {element: HTMLElement; dispose: () => void} {
  const list = h('ul', {class: 'plain-list', 'aria-label': 'Notices, newest first'});
  const refresh = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Check for new notices');
  let shown = '';
  const load = async () => {
    const {items} = await ctx.session.json<{items: Notice[]}>('/api/v1/me/inbox?limit=50');
    const key = items.map((n) => `${n.id}:${n.state}`).join(',');
    if (key === shown && list.childElementCount) return; // nothing new: leave the list (and a reader's place) alone
    shown = key;
    list.replaceChildren(
      ...items.map((n) =>
        h(
          'li',
          {class: 'notice'},
          h('strong', {}, n.title),
          ` — ${n.body} `,
          h('span', {class: 'muted'}, `${new Date(n.created_at).toLocaleString()} · ${STATES[n.state] ?? n.state}`),
        ),
      ),
    );
    if (!items.length) list.append(h('li', {class: 'muted'}, 'Nothing yet.'));
  };
  const check = () => void load().catch(() => undefined);
  refresh.addEventListener('click', check);
  check();
  const timer = window.setInterval(() => {
    if (document.visibilityState === 'visible') check();
  }, INBOX_EVERY_MS);
  return {element: section('inbox', 'Inbox', refresh, list), dispose: () => window.clearInterval(timer)};
}
