/* Happenings' service worker: shows Web Push notices and opens the event when one is clicked.
 * The push payload is JSON: {title, body, data: {event_id, kind, ...}, notice_id}. */
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
