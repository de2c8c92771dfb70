/* Happenings' service worker: shows Web Push notices and opens the event when one is clicked, and
 * keeps the app's files for offline use once a page that must work without a connection has been
 * shown: "My tickets" (opens at the door on the attendee's phone) and the door scanner (reloads at a
 * door whose wifi went). Each of them keeps its own set of files, in a cache of its own.
 * The push payload is JSON: {title, body, data: {event_id, kind, ...}, notice_id}. */
const SHELL = 'happenings-shell-v2';
const PURPOSES = ['tickets', 'door'];

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  const current = new Set(PURPOSES.map((p) => `${SHELL}:${p}`));
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('happenings-shell-') && !current.has(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

/* The page names the files it runs on ({type: 'keep-offline', purpose: 'tickets' | 'door', files:
 * ['/', '/assets/…']}): that purpose's cache is made to hold exactly those (files of an older
 * release go); the other purpose's files stay. */
self.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type !== 'keep-offline' || !Array.isArray(message.files)) return;
  const purpose = PURPOSES.includes(message.purpose) ? message.purpose : 'tickets';
  const files = message.files.filter((f) => typeof f === 'string' && (f === '/' || f.startsWith('/assets/'))).slice(0, 200);
  event.waitUntil(
    caches.open(`${SHELL}:${purpose}`).then(async (cache) => {
      await cache.addAll(files);
      const keep = new Set(files.map((f) => new URL(f, self.location.origin).href));
      for (const request of await cache.keys()) if (!keep.has(request.url)) await cache.delete(request);
    }),
  );
});

/* The kept copy of a request from any purpose's cache, or undefined. */
async function kept(request, options) {
  for (const purpose of PURPOSES) {
    const cache = await caches.open(`${SHELL}:${purpose}`);
    const found = await cache.match(request, options);
    if (found) return found;
  }
  return undefined;
}

/* Only once files are kept: the page from the network when there is one (and kept fresh), from the
 * cache otherwise; hashed files from the cache first (they never change). The API, tiles and
 * everything else always go to the network. */
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname === '/') {
    event.respondWith(
      (async () => {
        const page = await kept('/', {ignoreSearch: true});
        try {
          const fresh = await fetch(request);
          if (page && fresh.ok) {
            for (const purpose of PURPOSES) {
              const cache = await caches.open(`${SHELL}:${purpose}`);
              if (await cache.match('/', {ignoreSearch: true})) await cache.put('/', fresh.clone());
            }
          }
          return fresh;
        } catch (error) {
          if (page) return page;
          throw error;
        }
      })(),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(kept(request).then((found) => found || fetch(request)));
  }
});

self.addEventListener('push', (event) => {
  let message = {title: 'Happenings', body: '', data: {}, notice_id: null};
  try {
    message = {...message, ...event.data.json()};
  } catch {
    // not JSON: show the default title
  }
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      data: message.data,
      // The same notice sent twice (a resend after a crash) replaces the first instead of showing twice.
      tag: message.notice_id ? `notice-${message.notice_id}` : undefined,
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const eventId = event.notification.data && event.notification.data.event_id;
  const url = eventId ? `/?event=${encodeURIComponent(eventId)}` : '/';
  event.waitUntil(self.clients.openWindow(url));
});
