// A customer page that embeds linkhub's Hub page (?src=<auth_link_url>) and records every
// message the frame posts, with the origin the browser reports for it.
(function () {
  'use strict';
  window.__messages = [];
  window.addEventListener('message', function (e) {
    window.__messages.push({ origin: e.origin, data: e.data });
  });
  var src = new URLSearchParams(window.location.search).get('src');
  var frame = document.createElement('iframe');
  frame.title = 'Connect your bank';
  frame.src = src;
  frame.width = '480';
  frame.height = '760';
  document.getElementById('slot').appendChild(frame);
})();
