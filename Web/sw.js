// The Calls service worker (served at /calls/sw.js, scope /calls/). It shows the gateway's Web Push
// notices when no gateway page is open: "<Caller> is calling" with the call's link and the actions
// Accept and Decline, replaced by "Missed call from <Caller>" when the caller gives up (both carry the
// same tag). A click on a ringing call, or its Accept, accepts it and opens the call; Decline declines
// it, as the panel's Decline does, and opens nothing; any other click opens the Calls panel. The
// payload is data: names are shown by the system as plain text.
'use strict';

importScripts('/calls/assets/safe-url.js');

const INCOMING = '/api/calls/incoming/';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let notice = {};
  try {
    notice = event.data ? event.data.json() : {};
  } catch (_) {
    notice = {};
  }
  if (!notice || typeof notice !== 'object') notice = {};
  const ringing = notice.type === 'ringing';
  const title = typeof notice.title === 'string' ? notice.title.slice(0, 200) : 'Crow Calls';
  const options = {
    body: typeof notice.body === 'string' ? notice.body.slice(0, 500) : '',
    tag: typeof notice.tag === 'string' ? notice.tag : 'crow-calls',
    renotify: ringing,
    requireInteraction: ringing,
    icon: '/calls/assets/icon.svg',
    data: {
      type: notice.type,
      url: notice.url,
      accept: ownerAction(notice.accept, 'accept'),
      decline: ownerAction(notice.decline, 'decline'),
    },
  };
  if (ringing) {
    options.actions = [{ action: 'accept', title: 'Accept' }];
    if (options.data.decline) options.actions.push({ action: 'decline', title: 'Decline' });
  }
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const work = (async () => {
    if (data.type === 'ringing' && event.action === 'decline') {
      // Declines the call as the panel's Decline does (the caller's gateway is told); nothing opens.
      if (ownerAction(data.decline, 'decline')) await post(data.decline);
      return;
    }
    const target = safeURL(data.url) || new URL('/calls', self.location.origin).href;
    if (data.type === 'ringing' && ownerAction(data.accept, 'accept')) {
      // A click on the notice or its Accept: marks the call answered, as the panel's Join does; the
      // call opens either way.
      await post(data.accept);
    }
    await self.clients.openWindow(target);
  })();
  event.waitUntil(work);
});

/** The path of an action on an incoming call of this gateway (`/api/calls/incoming/<id>/<action>`), or null. */
function ownerAction(path, action) {
  if (typeof path !== 'string' || !path.startsWith(INCOMING) || !path.endsWith('/' + action)) return null;
  const id = path.slice(INCOMING.length, -(action.length + 1));
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? path : null;
}

/** A same-origin POST with the owner's cookie: the browser sends this origin as `Origin`. */
async function post(path) {
  try {
    await fetch(path, { method: 'POST', credentials: 'same-origin', cache: 'no-store' });
  } catch (_) {
    // Offline: the call stays in the panel's Incoming list.
  }
}

/** The pages' one link rule (Web/safe-url.js). */
function safeURL(text) {
  return self.crowSafeURL(text, self.location.origin);
}
