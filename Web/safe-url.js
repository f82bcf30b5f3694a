// The one rule for links that come from other machines, such as an invite's join link: only http: and
// https: links are ever opened or shown. A classic script that sets `self.crowSafeURL`, so the pages
// (through common.js), the toast and the service worker (importScripts) all use this one copy.
self.crowSafeURL = function crowSafeURL(text, base) {
  try {
    const url = new URL(String(text), base || self.location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
};
