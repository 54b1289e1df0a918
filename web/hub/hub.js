/*
 * The Hub page: runs Plaid Link for a connect session and sends the result to linkhub, or takes a
 * pasted public_token. Embedded in an iframe, it tells the parent window what happened with
 * postMessage (see docs/hub.md for the messages and the origin policy).
 */
(function () {
  'use strict';

  var STORE_KEY = 'linkhub.hub.link';
  var MESSAGE_SOURCE = 'linkhub-hub';

  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(window.location.search);
  var serverState = document.body.getAttribute('data-state');
  var embedded = window.parent !== window;
  var oauthStateId = params.get('oauth_state_id');

  var token = params.get('token');
  var saved = readSaved();
  if (!token && oauthStateId && saved) token = saved.token;

  var session = null;   // GET /hub/session
  var handler = null;   // the Plaid Link handler
  var plaidScript = null;
  var busy = false;
  var firstView = true;

  // ------------------------------------------------------------------ storage (this tab only)

  function readSaved() {
    try {
      var v = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || 'null');
      return v && typeof v.token === 'string' && typeof v.link_token === 'string' ? v : null;
    } catch (e) {
      return null;
    }
  }
  function save(linkToken) {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify({ token: token, link_token: linkToken }));
    } catch (e) { /* storage disabled: OAuth banks cannot resume, everything else works */ }
  }
  function forget() {
    try { window.sessionStorage.removeItem(STORE_KEY); } catch (e) { /* nothing stored */ }
  }

  // ------------------------------------------------------------------ messages to the parent

  function ancestorOrigin() {
    try {
      if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
        return window.location.ancestorOrigins[0];
      }
    } catch (e) { /* not available */ }
    try {
      if (document.referrer) return new URL(document.referrer).origin;
    } catch (e) { /* no usable referrer */ }
    return null;
  }

  // The origins a message may go to: the project's list (and linkhub's own pages) when it has
  // one, else the origin that embeds this page. `identifying` messages never go to '*': if no
  // origin is known they are not sent at all.
  function targets(identifying) {
    var allowed = session && session.allowed_origins ? session.allowed_origins : [];
    if (allowed.length) return allowed.concat([window.location.origin]);
    var parent = ancestorOrigin();
    if (parent && parent !== 'null') return [parent];
    return identifying ? [] : ['*'];
  }

  function post(type, fields, identifying) {
    if (!embedded) return;
    var msg = { source: MESSAGE_SOURCE, type: type };
    if (fields) for (var k in fields) msg[k] = fields[k];
    targets(identifying).forEach(function (origin) {
      try { window.parent.postMessage(msg, origin); } catch (e) { /* a malformed origin */ }
    });
  }

  // ------------------------------------------------------------------ views

  function announce(text) {
    var live = $('live');
    live.textContent = '';
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function show(name) {
    var views = document.querySelectorAll('.view');
    var shown = null;
    for (var i = 0; i < views.length; i++) {
      var on = views[i].getAttribute('data-view') === name;
      views[i].hidden = !on;
      if (on) shown = views[i];
    }
    document.body.setAttribute('data-view', name);
    $('close').hidden = !embedded || name === 'loading' || name === 'working';
    var h1 = shown && shown.querySelector('h1');
    if (h1) {
      document.title = h1.textContent;
      // Move focus with the content, so keyboard and screen-reader users follow it; not on the
      // first paint, which must not steal focus from the embedding page.
      if (!firstView) h1.focus();
    }
    firstView = false;
  }

  function setText(id, text) { $(id).textContent = text; }

  function alertStart(title, detail) {
    setText('start-alert-title', title);
    var d = $('start-alert-detail');
    d.hidden = !detail;
    d.textContent = detail || '';
    $('start-alert').hidden = false;
  }
  function clearAlerts() {
    $('start-alert').hidden = true;
    fieldError(null);
  }

  function fieldError(text) {
    var input = $('public-token');
    var err = $('public-token-error');
    if (text) {
      err.textContent = text;
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
    } else {
      err.textContent = '';
      err.hidden = true;
      input.removeAttribute('aria-invalid');
    }
  }

  function setBusy(button, label) {
    busy = !!label;
    if (label) {
      button.setAttribute('data-label', button.textContent);
      button.textContent = label;
      button.setAttribute('aria-disabled', 'true');
    } else {
      if (button.hasAttribute('data-label')) button.textContent = button.getAttribute('data-label');
      button.removeAttribute('aria-disabled');
    }
  }

  function institutionName(inst) {
    return inst && inst.name ? inst.name : 'your bank';
  }

  function renderStart() {
    var names = document.querySelectorAll('.client-name');
    for (var i = 0; i < names.length; i++) names[i].textContent = session.client_name || 'this app';
    if (session.update_mode) {
      var bank = institutionName(session.account && session.account.institution);
      setText('start-title', 'Reconnect ' + bank);
      setText('start-lead', 'Your connection to ' + bank + ' needs you to log in again. ' +
        'Plaid opens in update mode: the same account is repaired, nothing new is linked.');
      setText('connect', 'Reconnect your bank');
      $('manual').hidden = true;
    }
  }

  function renderDone(account) {
    var bank = institutionName(account.institution);
    setText('done-title', (session.update_mode ? 'Reconnected ' : 'Connected ') + bank);
    var list = $('done-accounts');
    list.textContent = '';
    var accounts = Array.isArray(account.accounts) ? account.accounts : [];
    accounts.forEach(function (a) {
      var li = document.createElement('li');
      var left = document.createElement('div');
      var name = document.createElement('div');
      name.className = 'acct-name';
      name.textContent = a.name || 'Account';
      var type = document.createElement('div');
      type.className = 'acct-type';
      type.textContent = [a.type, a.subtype].filter(Boolean).join(' · ');
      left.appendChild(name);
      left.appendChild(type);
      var mask = document.createElement('div');
      mask.className = 'acct-mask';
      if (a.mask) {
        mask.textContent = '•••• ' + a.mask;
        mask.setAttribute('aria-label', 'ending in ' + a.mask.split('').join(' '));
      }
      li.appendChild(left);
      li.appendChild(mask);
      list.appendChild(li);
    });
    setText('done-lead', accounts.length
      ? (session.update_mode ? 'The connection works again for these accounts:' : 'These accounts are now linked:')
      : 'The connection is in place.');
    list.hidden = !accounts.length;
    $('another').hidden = !(session.multiple && !session.update_mode);
    $('done-closing').hidden = true;
    show('done');
    announce(document.title);
  }

  // ------------------------------------------------------------------ linkhub's Hub API

  function api(method, path, body) {
    var headers = { 'x-hub-session-token': token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return window.fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: res.status, ok: res.ok, data: data };
      });
    }, function () {
      return { status: 0, ok: false, data: null };
    });
  }

  function messageOf(r) {
    if (r.status === 0) return 'The hub could not be reached. Check your connection and try again.';
    return (r.data && typeof r.data.message === 'string' && r.data.message) ||
      'Something went wrong (HTTP ' + r.status + '). Please try again.';
  }
  function providerCode(r) {
    var errs = r.data && Array.isArray(r.data.provider_errors) ? r.data.provider_errors : [];
    return errs.length && errs[0].error_code ? errs[0].error_code : null;
  }

  function sessionEnded() {
    forget();
    show('expired');
    post('error', { code: 'session_expired', message: 'The connect session has expired.' });
  }

  // ------------------------------------------------------------------ Plaid Link

  function loadPlaid() {
    if (window.Plaid) return Promise.resolve();
    if (!plaidScript) {
      plaidScript = new Promise(function (resolve, reject) {
        var s = document.createElement('script');
        s.src = session.link_script_url;
        s.async = true;
        s.onload = function () { window.Plaid ? resolve() : reject(new Error('no Plaid')); };
        s.onerror = function () {
          plaidScript = null;
          s.remove();
          reject(new Error('Plaid Link did not load'));
        };
        document.head.appendChild(s);
      });
    }
    return plaidScript;
  }

  // Link's frame is removed once Link has finished, after its callback has returned; a retry
  // creates a new one with a new link_token.
  function dropLink() {
    var done = handler;
    handler = null;
    if (done) window.setTimeout(function () { done.destroy(); }, 0);
  }

  function openLink(linkToken, receivedRedirectUri) {
    if (handler) {
      handler.destroy();
      handler = null;
    }
    var config = {
      token: linkToken,
      onSuccess: onLinkSuccess,
      onExit: onLinkExit,
      onEvent: function () {},
      onLoad: function () { if (handler) handler.open(); },
    };
    if (receivedRedirectUri) config.receivedRedirectUri = receivedRedirectUri;
    handler = window.Plaid.create(config);
  }

  function connect() {
    if (busy) return;
    clearAlerts();
    var button = $('connect');
    setBusy(button, 'Opening Plaid…');
    announce('Opening Plaid');
    loadPlaid().then(function () {
      return api('POST', '/hub/plaid/link_token').then(function (r) {
        setBusy(button, null);
        if (r.status === 401) return sessionEnded();
        if (!r.ok) {
          alertStart('Plaid could not be started.', messageOf(r));
          return;
        }
        save(r.data.link_token);
        openLink(r.data.link_token, null);
      });
    }, function () {
      setBusy(button, null);
      alertStart('Plaid could not be loaded.', 'Check your connection and try again.');
    });
  }

  // Link's onSuccess metadata, as far as linkhub uses it (the duplicate guard and display).
  function slimMetadata(m) {
    if (!m) return undefined;
    var out = {};
    if (m.institution) out.institution = { institution_id: m.institution.institution_id, name: m.institution.name };
    if (Array.isArray(m.accounts)) {
      out.accounts = m.accounts.slice(0, 100).map(function (a) {
        return { id: a.id, name: a.name, mask: a.mask, type: a.type, subtype: a.subtype };
      });
    }
    if (m.link_session_id) out.link_session_id = m.link_session_id;
    return out;
  }

  function onLinkSuccess(publicToken, metadata) {
    forget();
    dropLink();
    setText('working-title', session.update_mode ? 'Reconnecting your account' : 'Connecting your account');
    show('working');
    announce(document.title);
    var body = { integration_id: 'plaid', metadata: slimMetadata(metadata) };
    // Update mode makes no new Item: there is nothing to exchange.
    if (!session.update_mode) body.credentials = { public_token: publicToken };
    api('POST', '/hub/accounts', body).then(function (r) { linked(r, 'link'); });
  }

  function onLinkExit(error) {
    forget();
    dropLink();
    if (error) {
      setText('exit-title', 'Your bank could not be connected');
      setText('exit-message', error.display_message || error.error_message ||
        'Plaid stopped before the connection was finished. You can try again.');
      setText('exit-code', 'Plaid error: ' + error.error_code);
      $('exit-code').hidden = !error.error_code;
      post('error', { code: error.error_code || 'LINK_ERROR', message: 'Plaid Link exited with an error.' });
    } else {
      setText('exit-title', 'No account connected yet');
      setText('exit-message', 'You closed Plaid before finishing, so nothing was connected. ' +
        'You can try again whenever you like.');
      $('exit-code').hidden = true;
    }
    show('exit');
  }

  // The answer of POST /hub/accounts, from Link (`via` "link") or the pasted token ("manual").
  function linked(r, via) {
    if (r.ok && r.data && r.data.id) {
      cleanUrl();
      renderDone(r.data);
      post('success', { id: r.data.id, provider: r.data.provider || 'plaid' }, true);
      return;
    }
    if (r.status === 401) return sessionEnded();
    show('start');
    var message = messageOf(r);
    if (via === 'manual') {
      $('manual').open = true;
      fieldError(message);
      $('public-token').value = '';
      $('public-token').focus();
    } else {
      var detail = null;
      if (r.status === 409 && r.data && r.data.existing_account_id) {
        detail = 'Existing account: ' + r.data.existing_account_id;
      } else if (providerCode(r)) {
        detail = 'Plaid error: ' + providerCode(r);
      }
      alertStart(message, detail);
    }
    post('error', { code: 'link_failed', status: r.status, message: 'The account was not linked.' });
  }

  function submitManual(e) {
    e.preventDefault();
    if (busy) return;
    var input = $('public-token');
    var value = input.value.trim();
    if (!value) {
      fieldError('Paste the public_token that Plaid Link returned.');
      input.focus();
      return;
    }
    if (!/^public-[A-Za-z0-9-]+$/.test(value)) {
      fieldError('That is not a Plaid public token: they start with public-sandbox- or public-production-.');
      input.focus();
      return;
    }
    clearAlerts();
    setText('working-title', 'Connecting your account');
    show('working');
    announce(document.title);
    api('POST', '/hub/accounts', { integration_id: 'plaid', credentials: { public_token: value } })
      .then(function (r) { linked(r, 'manual'); });
  }

  // Back from an OAuth bank: Link resumes with the same link_token and the full return URL.
  function resumeOAuth() {
    var receivedRedirectUri = window.location.href;
    setText('working-title', 'Finishing up with your bank');
    setText('working-text', 'Plaid is opening again to complete the connection.');
    show('working');
    if (!saved || saved.token !== token) {
      show('start');
      alertStart('The connection with your bank could not be resumed here.',
        'Start again with the button below, in the same browser tab.');
      return;
    }
    cleanUrl();
    loadPlaid().then(function () {
      setText('working-text', 'This takes a few seconds.');
      openLink(saved.link_token, receivedRedirectUri);
    }, function () {
      show('start');
      alertStart('Plaid could not be loaded.', 'Check your connection and try again.');
    });
  }

  // The page's address without the OAuth return parameters, so a reload starts cleanly.
  function cleanUrl() {
    if (!window.history || !window.history.replaceState) return;
    window.history.replaceState(null, '', window.location.pathname + '?token=' + encodeURIComponent(token));
  }

  // ------------------------------------------------------------------ start

  function bind() {
    $('connect').addEventListener('click', connect);
    $('retry').addEventListener('click', function () { show('start'); connect(); });
    $('manual-form').addEventListener('submit', submitManual);
    $('public-token').addEventListener('input', function () { fieldError(null); });
    $('close').addEventListener('click', function () { post('close'); });
    $('done').addEventListener('click', function () {
      post('close');
      if (!embedded) {
        $('done-closing').hidden = false;
        announce('You can close this window now.');
      }
    });
    $('another').addEventListener('click', function () {
      clearAlerts();
      show('start');
    });
  }

  function start() {
    bind();
    if (serverState === 'expired' || serverState === 'unknown' || serverState === 'missing') {
      show(serverState);
      post('error', { code: 'session_' + serverState, message: 'This link cannot be used.' });
      return;
    }
    if (!token) {
      show('missing');
      post('error', { code: 'session_missing', message: 'This link cannot be used.' });
      return;
    }
    api('GET', '/hub/session').then(function (r) {
      if (r.status === 401) return sessionEnded();
      if (r.status === 403) {
        show('blocked');
        return;
      }
      if (!r.ok || !r.data) {
        setText('failed-message', messageOf(r));
        show('failed');
        post('error', { code: 'load_failed', message: 'The page could not load.' });
        return;
      }
      session = r.data;
      var parent = embedded ? ancestorOrigin() : null;
      if (parent && session.allowed_origins.length && parent !== window.location.origin &&
          session.allowed_origins.indexOf(parent) < 0) {
        session = null;  // nothing goes to a parent the project does not allow
        show('blocked');
        return;
      }
      renderStart();
      post('ready');
      if (oauthStateId) {
        resumeOAuth();
      } else {
        show('start');
      }
    });
  }

  start();
})();
