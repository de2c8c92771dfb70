/* Happenings' service worker: shows Web Push notices and opens the event when one is clicked, and
 * keeps the app's files for offline use once the person's tickets have been shown ("My tickets"
 * opens at the door without a connection).
 * The push payload is JSON: {title, body, data: {event_id, kind, ...}, notice_id}. */
const SHELL = 'happenings-shell-v1';

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('happenings-shell-') && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

/* The page names the files it runs on ({type: 'keep-offline', files: ['/', '/assets/…']}): the
 * cache is made to hold exactly those (files of an older release go). */
self.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type !== 'keep-offline' || !Array.isArray(message.files)) return;
  const files = message.files.filter((f) => typeof f === 'string' && (f === '/' || f.startsWith('/assets/'))).slice(0, 200);
  event.waitUntil(
    caches.open(SHELL).then(async (cache) => {
      await cache.addAll(files);
      const keep = new Set(files.map((f) => new URL(f, self.location.origin).href));
      for (const request of await cache.keys()) if (!keep.has(request.url)) await cache.delete(request);
    }),
  );
});

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
      caches.open(SHELL).then(async (cache) => {
        const kept = await cache.match('/', {ignoreSearch: true});
        try {
          const fresh = await fetch(request);
          if (kept && fresh.ok) await cache.put('/', fresh.clone());
          return fresh;
        } catch (error) {
          if (kept) return kept;
          throw error;
        }
      }),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(caches.match(request, {cacheName: SHELL}).then((kept) => kept || fetch(request)));
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
