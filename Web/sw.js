// The Calls service worker (served at /calls/sw.js, scope /calls/). It shows the gateway's Web Push
// notices when no gateway page is open: "<Caller> is calling" with the call's link, replaced by
// "Missed call from <Caller>" when the caller gives up (both carry the same tag). A click on a ringing
// call accepts it and opens the call; any other click opens the Calls panel. The payload is data:
// names are shown by the system as plain text.
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let notice = {};
  try {
    notice = event.data ? event.data.json() : {};
  } catch (_) {
    notice = {};
  }
  const title = typeof notice.title === 'string' ? notice.title.slice(0, 200) : 'Crow Calls';
  const options = {
    body: typeof notice.body === 'string' ? notice.body.slice(0, 500) : '',
    tag: typeof notice.tag === 'string' ? notice.tag : 'crow-calls',
    renotify: notice.type === 'ringing',
    requireInteraction: notice.type === 'ringing',
    icon: '/calls/assets/icon.svg',
    data: { type: notice.type, url: notice.url, accept: notice.accept },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const target = safeURL(data.url) || new URL('/calls', self.location.origin).href;
  event.waitUntil((async () => {
    if (data.type === 'ringing' && typeof data.accept === 'string' && data.accept.startsWith('/api/calls/incoming/')) {
      // Marks the call answered, as the panel's Join does; the call opens either way.
      await fetch(data.accept, { method: 'POST', credentials: 'same-origin' }).catch(() => {});
    }
    await self.clients.openWindow(target);
  })());
});

function safeURL(text) {
  try {
    const url = new URL(text, self.location.origin);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch (_) {
    return null;
  }
}
