// Mounts <stackone-hub> with ?token=, ?base= (linkhub) and optional ?account_id=, and records
// its events. Attributes are set before the element is attached, so the first render has them.
(function () {
  'use strict';
  var q = new URLSearchParams(window.location.search);
  window.__events = [];
  var el = document.createElement('stackone-hub');
  el.setAttribute('mode', 'integration-picker');
  el.setAttribute('height', '600px');
  el.setAttribute('token', q.get('token'));
  el.setAttribute('base-url', q.get('base'));
  el.setAttribute('app-url', q.get('base'));
  if (q.get('account_id')) el.setAttribute('account-id', q.get('account_id'));
  el.addEventListener('success', function (e) { window.__events.push({ type: 'success', detail: e.detail }); });
  el.addEventListener('close', function () { window.__events.push({ type: 'close' }); });
  document.getElementById('mount').appendChild(el);
})();
