/*
 * Plaid Link stand-in: the script an application page loads instead of
 * https://cdn.plaid.com/link/v2/stable/link-initialize.js. It defines window.Plaid with
 * Plaid.create(), whose handler runs Link inside an iframe served by the plaid-emulator.
 * Contract: docs/emulator-link-protocol.md.
 */
(function () {
  'use strict';

  if (window.Plaid && window.Plaid.__standIn) return;

  var TAG = 'plaid_link_stand_in';
  var FRAME_PATH = '/link/v2/stable/link.html';

  // The emulator origin is the origin this script was loaded from.
  function findScriptOrigin() {
    var script = document.currentScript;
    if (!script || !script.src) {
      var all = document.getElementsByTagName('script');
      for (var i = all.length - 1; i >= 0; i--) {
        if (/\/link\/v2\/stable\/link-initialize\.js(\?|#|$)/.test(all[i].src)) {
          script = all[i];
          break;
        }
      }
    }
    try {
      return new URL(script.src, document.baseURI).origin;
    } catch (e) {
      return window.location.origin;
    }
  }

  var ORIGIN = findScriptOrigin();

  function warn(message) {
    if (window.console && console.warn) console.warn('[Plaid Link stand-in] ' + message);
  }

  function call(fn, args) {
    if (typeof fn !== 'function') return;
    try {
      fn.apply(null, args);
    } catch (e) {
      // An exception in an application callback must not break Link.
      setTimeout(function () { throw e; });
    }
  }

  function whenBody(fn) {
    if (document.body) fn();
    else document.addEventListener('DOMContentLoaded', fn, { once: true });
  }

  var frameCount = 0;

  function create(config) {
    if (!config || typeof config !== 'object') throw new TypeError('Plaid.create: config object required');
    if (typeof config.onSuccess !== 'function') throw new TypeError('Plaid.create: onSuccess is required');

    var token = config.token == null ? null : String(config.token);
    var receivedRedirectUri = config.receivedRedirectUri ? String(config.receivedRedirectUri) : null;
    var iframe = null;
    var ready = false;
    var destroyed = false;
    var isOpen = false;
    var openQueued = false;
    var focusBeforeOpen = null;

    function post(type, fields) {
      if (!iframe || !iframe.contentWindow) return;
      var msg = { type: type };
      msg[TAG] = true;
      if (fields) for (var k in fields) msg[k] = fields[k];
      iframe.contentWindow.postMessage(msg, ORIGIN);
    }

    function show() {
      iframe.style.display = 'block';
      iframe.setAttribute('aria-hidden', 'false');
      isOpen = true;
    }

    function hide() {
      iframe.style.display = 'none';
      iframe.setAttribute('aria-hidden', 'true');
      isOpen = false;
      var back = focusBeforeOpen;
      focusBeforeOpen = null;
      if (back && typeof back.focus === 'function' && document.contains(back)) {
        try { back.focus(); } catch (e) { /* ignore */ }
      }
    }

    function doOpen() {
      if (isOpen) return;
      focusBeforeOpen = document.activeElement;
      show();
      post('open');
      try { iframe.focus(); } catch (e) { /* ignore */ }
    }

    function onMessage(event) {
      if (destroyed || !iframe || event.source !== iframe.contentWindow) return;
      if (event.origin !== ORIGIN) return;
      var data = event.data;
      if (!data || typeof data !== 'object' || data[TAG] !== true) return;
      switch (data.type) {
        case 'ready':
          if (ready) return;
          ready = true;
          post('init', {
            token: token,
            received_redirect_uri: receivedRedirectUri,
            parent_origin: window.location.origin,
          });
          call(config.onLoad, []);
          if (openQueued) {
            openQueued = false;
            doOpen();
          }
          break;
        case 'event':
          call(config.onEvent, [String(data.event_name), data.metadata || {}]);
          break;
        case 'success':
          hide();
          call(config.onSuccess, [data.public_token, data.metadata || {}]);
          break;
        case 'exit':
          hide();
          call(config.onExit, [data.error || null, data.metadata || {}]);
          break;
        case 'redirect': {
          var url;
          try {
            url = new URL(String(data.url), ORIGIN);
          } catch (e) {
            return;
          }
          if (url.protocol !== 'https:' && url.protocol !== 'http:') return;
          window.location.href = url.href;
          break;
        }
        default:
          break;
      }
    }

    window.addEventListener('message', onMessage);

    whenBody(function () {
      if (destroyed) return;
      iframe = document.createElement('iframe');
      frameCount += 1;
      iframe.id = 'plaid-link-iframe-' + frameCount;
      iframe.name = iframe.id;
      iframe.title = 'Plaid Link';
      iframe.src = ORIGIN + FRAME_PATH;
      iframe.setAttribute('aria-hidden', 'true');
      iframe.setAttribute('allowtransparency', 'true');
      var s = iframe.style;
      s.display = 'none';
      s.position = 'fixed';
      s.top = '0';
      s.left = '0';
      s.width = '100%';
      s.height = '100%';
      s.border = '0';
      s.margin = '0';
      s.padding = '0';
      s.background = 'transparent';
      s.colorScheme = 'normal';
      s.zIndex = '2147483647';
      document.body.appendChild(iframe);
    });

    return {
      open: function () {
        if (destroyed) {
          warn('open() called on a destroyed handler');
          return;
        }
        if (!ready) {
          openQueued = true;
          return;
        }
        doOpen();
      },
      exit: function (options) {
        if (destroyed) return;
        var force = !!(options && options.force);
        if (!ready) {
          openQueued = false;
          return;
        }
        if (isOpen) post('exit', { force: force });
      },
      destroy: function () {
        if (destroyed) return;
        destroyed = true;
        openQueued = false;
        window.removeEventListener('message', onMessage);
        if (iframe && iframe.parentNode) iframe.parentNode.removeChild(iframe);
        iframe = null;
        isOpen = false;
      },
      submit: function () {
        // Layer / returning-user data; not used by the emulator.
      },
    };
  }

  window.Plaid = {
    __standIn: true,
    version: 'stand-in',
    create: create,
  };
})();
