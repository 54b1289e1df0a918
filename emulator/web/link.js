/*
 * Plaid Link stand-in: logic of the Link frame (link.html) and of the stand-in bank
 * authorization page (oauth.html). Served by the plaid-emulator; talks to its
 * /link/v2/session/* backend. Contract: docs/emulator-link-protocol.md.
 */
(function () {
  'use strict';

  const TAG = 'plaid_link_stand_in';

  // ------------------------------------------------------------------ shared helpers

  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Resolves with the promise's value, but not before `ms` have passed, so that loading
  // panes don't flash. Rejects with the promise's reason.
  async function atLeast(promise, ms) {
    const [result] = await Promise.allSettled([promise, sleep(ms)]);
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }

  function withTimeout(promise, ms) {
    return Promise.race([promise, sleep(ms).then(() => { throw new Error('timeout'); })]);
  }

  function networkError() {
    return {
      error_type: 'API_ERROR',
      error_code: 'INTERNAL_SERVER_ERROR',
      error_message: 'the Link frame could not reach the emulator',
      display_message: 'We couldn\u2019t reach the server. Check your connection and try again.',
      request_id: null,
    };
  }

  function normalizeError(data, status) {
    if (data && typeof data === 'object' && typeof data.error_code === 'string') {
      return {
        error_type: data.error_type || 'API_ERROR',
        error_code: data.error_code,
        error_message: data.error_message || '',
        display_message: data.display_message == null ? null : data.display_message,
        request_id: data.request_id || null,
      };
    }
    return {
      error_type: 'API_ERROR',
      error_code: 'INTERNAL_SERVER_ERROR',
      error_message: 'unexpected response from the emulator (HTTP ' + status + ')',
      display_message: 'Something went wrong on our end. Please try again.',
      request_id: (data && data.request_id) || null,
    };
  }

  // The four fields Plaid passes to onExit.
  function publicError(e) {
    if (!e) return null;
    return {
      error_type: e.error_type || null,
      error_code: e.error_code || null,
      error_message: e.error_message || null,
      display_message: e.display_message == null ? null : e.display_message,
    };
  }

  // POSTs JSON to the emulator (same origin). Resolves with the JSON body; rejects with a
  // Plaid-style error object. `onRequestId` sees the request_id of every answer.
  async function post(path, body, onRequestId) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw networkError();
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (data && data.request_id && onRequestId) onRequestId(data.request_id);
    if (!res.ok) throw normalizeError(data, res.status);
    if (!data || typeof data !== 'object') throw normalizeError(null, res.status);
    return data;
  }

  function parseHexColor(value) {
    if (typeof value !== 'string') return null;
    const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
    if (!m) return null;
    let hex = m[1];
    if (hex.length === 3) hex = hex.split('').map((c) => c + c).join('');
    return '#' + hex.toLowerCase();
  }

  function isLightColor(hex) {
    const n = parseInt(hex.slice(1), 16);
    const channel = (v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    const lum = 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) +
      0.0722 * channel(n & 255);
    return lum > 0.45;
  }

  function initialOf(name) {
    const m = /[A-Za-z0-9]/.exec(name || '');
    return m ? m[0].toUpperCase() : '?';
  }

  // Paints an institution badge: its initial on its primary colour.
  function paintLogo(el, inst) {
    el.textContent = initialOf(inst && inst.name);
    const color = parseHexColor(inst && inst.primary_color);
    el.classList.remove('logo-light-bg');
    if (color) {
      el.style.backgroundColor = color;
      if (isLightColor(color)) el.classList.add('logo-light-bg');
    } else {
      el.style.removeProperty('background-color');
    }
  }

  function hostOf(url) {
    if (!url) return '';
    try {
      return new URL(/^[a-z]+:\/\//i.test(url) ? url : 'https://' + url).hostname.replace(/^www\./, '');
    } catch (e) {
      return String(url);
    }
  }

  function svgIcon(pathD) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '18');
    svg.setAttribute('height', '18');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', pathD);
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', 'currentColor');
    path.setAttribute('stroke-width', '2');
    path.setAttribute('stroke-linecap', 'round');
    path.setAttribute('stroke-linejoin', 'round');
    svg.appendChild(path);
    return svg;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ Link frame

  function initLinkFrame() {
    const VIEW_NAMES = {
      loading: 'LOADING',
      consent: 'CONSENT',
      select_institution: 'SELECT_INSTITUTION',
      credentials: 'CREDENTIAL',
      mfa: 'MFA',
      oauth: 'OAUTH',
      select_accounts: 'SELECT_ACCOUNT',
      success: 'CONNECTED',
      error: 'ERROR',
      confirm_exit: 'EXIT',
    };
    const ERROR_TITLES = {
      INVALID_CREDENTIALS: 'Incorrect username or password',
      INVALID_MFA: 'Incorrect code',
      ITEM_LOCKED: 'Your account is locked',
      INVALID_LINK_TOKEN: 'This session is no longer valid',
      INSTITUTION_DOWN: 'Institution unavailable',
      INSTITUTION_NOT_RESPONDING: 'Institution not responding',
      INSTITUTION_NOT_AVAILABLE: 'Institution unavailable',
      INSTITUTION_NO_LONGER_SUPPORTED: 'Institution no longer supported',
      ITEM_NOT_SUPPORTED: 'Account not supported',
      NO_ACCOUNTS: 'No compatible accounts',
      OAUTH_USER_DENIED: 'Access wasn\u2019t granted',
      RATE_LIMIT_EXCEEDED: 'Too many attempts',
    };
    // Errors after which trying the same step again cannot help.
    const FINAL_ERRORS = new Set([
      'INVALID_LINK_TOKEN', 'ITEM_LOCKED', 'ITEM_NOT_SUPPORTED', 'INSTITUTION_NO_LONGER_SUPPORTED',
      'INVALID_ACCESS_TOKEN', 'INVALID_API_KEYS', 'INVALID_INPUT',
      // A denial on the bank page ends the session (docs/emulator-link-protocol.md).
      'OAUTH_USER_DENIED',
    ]);
    const MIN_LOADING_MS = 450;

    const dialog = $('dialog');
    const shell = $('shell');
    const backdrop = $('backdrop');
    const cardBody = $('card-body');
    const backBtn = $('btn-back');
    const closeBtn = $('btn-close');
    const live = $('live');
    const alertRegion = $('alert');
    const views = Array.from(document.querySelectorAll('section.view[data-view]'));
    const searchInput = $('search-input');
    const resultsList = $('results');
    const searchStatus = $('search-status');
    const searchEmpty = $('search-empty');
    const searchSpinner = $('search-spinner');

    const S = {
      parentOrigin: null,
      token: null,
      receivedRedirectUri: null,
      redirectUsed: false,
      open: false,
      exiting: false,
      gen: 0,
      view: null,
      returnView: null, // the view under the exit confirmation pane
      linkSessionId: null,
      requestId: null,
      clientName: '',
      updateMode: false,
      accountSelectionEnabled: false,
      institution: null,
      status: 'requires_credentials',
      lastError: null,
      retry: null,
      searchSeq: 0,
      searchTimer: 0,
      lastQuery: null,
      oauthStateId: null,
      oauthFrame: null,
      accounts: [],
      result: null,
    };

    const noteRequestId = (id) => { S.requestId = id; };
    const api = (path, body) => post(path, body, noteRequestId);

    // -------------------------------------------------------------- messaging

    function expectedParentOrigin() {
      try {
        if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
          return window.location.ancestorOrigins[0];
        }
      } catch (e) { /* ignore */ }
      try {
        if (document.referrer) return new URL(document.referrer).origin;
      } catch (e) { /* ignore */ }
      return null;
    }

    function send(type, fields) {
      if (!S.parentOrigin) return;
      const msg = Object.assign({ [TAG]: true, type }, fields || {});
      window.parent.postMessage(msg, S.parentOrigin);
    }

    function meta(extra) {
      const inst = S.institution;
      return Object.assign({
        error_type: null,
        error_code: null,
        error_message: null,
        exit_status: null,
        institution_id: inst ? inst.institution_id : null,
        institution_name: inst ? inst.name : null,
        institution_search_query: null,
        is_update_mode: S.updateMode ? 'yes' : 'no',
        match_reason: null,
        mfa_type: null,
        view_name: null,
        selection: null,
        account_number_mask: null,
        routing_number: null,
        timestamp: new Date().toISOString(),
        link_session_id: S.linkSessionId,
        request_id: S.requestId,
      }, extra || {});
    }

    function emit(name, extra) {
      send('event', { event_name: name, metadata: meta(extra) });
    }

    function errorFields(e) {
      return {
        error_type: e ? e.error_type || null : null,
        error_code: e ? e.error_code || null : null,
        error_message: e ? e.error_message || null : null,
      };
    }

    window.addEventListener('message', (event) => {
      const data = event.data;
      if (!data || typeof data !== 'object' || data[TAG] !== true) return;
      if (S.oauthFrame && event.source === S.oauthFrame.contentWindow) {
        if (event.origin === window.location.origin) onOAuthResult(data);
        return;
      }
      if (event.source !== window.parent || window.parent === window) return;
      if (data.type === 'init') {
        if (S.parentOrigin) return;
        const expected = expectedParentOrigin();
        if (expected && event.origin !== expected) return;
        if (data.parent_origin && data.parent_origin !== event.origin) return;
        if (!/^https?:\/\//.test(event.origin)) return;
        S.parentOrigin = event.origin;
        S.token = data.token == null ? null : String(data.token);
        S.receivedRedirectUri = data.received_redirect_uri ? String(data.received_redirect_uri) : null;
        return;
      }
      if (!S.parentOrigin || event.origin !== S.parentOrigin) return;
      if (data.type === 'open') {
        openLink();
      } else if (data.type === 'exit') {
        if (data.force) exitNow();
        else requestExit();
      }
    });

    // -------------------------------------------------------------- views and focus

    function viewEl(name) {
      return views.find((v) => v.dataset.view === name);
    }

    function announce(text, assertive) {
      const region = assertive ? alertRegion : live;
      region.textContent = '';
      // A fresh text node makes screen readers announce repeated messages too.
      setTimeout(() => { region.textContent = text; }, 30);
    }

    const FOCUS_TARGET = {
      consent: 'consent-continue',
      select_institution: 'search-input',
      credentials: 'cred-username',
      mfa: 'mfa-code',
      oauth: 'oauth-continue',
      success: 'success-continue',
      confirm_exit: 'confirm-stay',
    };

    function focusView(name) {
      let target = null;
      if (name === 'error') {
        target = $('error-retry').hidden ? $('error-exit') : $('error-retry');
      } else if (name === 'select_accounts') {
        target = $('accounts-list').querySelector('input');
      } else if (name === 'oauth_inline') {
        target = S.oauthFrame;
      } else if (name === 'credentials' && $('cred-username').value) {
        target = $('cred-password');
      } else if (FOCUS_TARGET[name]) {
        target = $(FOCUS_TARGET[name]);
      }
      (target || dialog).focus({ preventScroll: false });
    }

    function backAction(name) {
      switch (name) {
        case 'select_institution':
          return () => showView('consent');
        case 'credentials':
        case 'oauth':
          if (S.updateMode) return null;
          return () => {
            S.institution = null;
            S.status = 'requires_credentials';
            showView('select_institution');
          };
        case 'mfa':
          return () => goCredentials(true);
        default:
          return null;
      }
    }

    // Shows one view. While the exit confirmation is up, a view reached asynchronously
    // is remembered and shown if the user decides to stay.
    function showView(name, opts) {
      const options = opts || {};
      if (S.view === 'confirm_exit' && name !== 'confirm_exit' && !options.fromConfirm) {
        S.returnView = name;
        return;
      }
      const repeated = S.view === name;
      for (const v of views) v.hidden = v.dataset.view !== name;
      S.view = name;
      const heading = viewEl(name).querySelector('h1');
      if (heading) dialog.setAttribute('aria-labelledby', heading.id);
      backBtn.hidden = !backAction(name);
      cardBody.scrollTop = 0;
      if (S.linkSessionId && VIEW_NAMES[name] && !(repeated && name === 'loading')) {
        const extra = { view_name: VIEW_NAMES[name] };
        if (name === 'mfa') extra.mfa_type = 'code';
        emit('TRANSITION_VIEW', extra);
      }
      if (!options.noFocus) focusView(name);
    }

    function showLoading(title, text) {
      $('loading-title').textContent = title || 'Loading';
      $('loading-text').textContent = text || '';
      showView('loading');
      announce(title || 'Loading');
    }

    function focusables() {
      const nodes = dialog.querySelectorAll(
        'button, input, select, textarea, iframe, a[href], [tabindex]:not([tabindex="-1"])');
      return Array.from(nodes).filter((n) =>
        !n.disabled && !n.closest('[hidden]') && n.getClientRects().length > 0);
    }

    document.addEventListener('keydown', (e) => {
      if (!S.open) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        if (S.view === 'confirm_exit') stayAfterConfirm();
        else requestExit();
        return;
      }
      if (e.key !== 'Tab') return;
      const list = focusables();
      if (!list.length) {
        e.preventDefault();
        dialog.focus();
        return;
      }
      const first = list[0];
      const last = list[list.length - 1];
      const active = document.activeElement;
      const inside = dialog.contains(active) && active !== dialog;
      if (e.shiftKey && (!inside || active === first)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (!inside || active === last)) {
        e.preventDefault();
        first.focus();
      }
    });

    document.addEventListener('focusin', (e) => {
      if (S.open && !dialog.contains(e.target)) dialog.focus();
    });

    backBtn.addEventListener('click', () => {
      const action = backAction(S.view);
      if (action) action();
    });
    closeBtn.addEventListener('click', () => requestExit());

    // -------------------------------------------------------------- bindings

    function bindClient() {
      let name = S.clientName || '';
      if (!name || name.length > 30) name = 'This application';
      document.querySelectorAll('[data-bind="client_name"]').forEach((n) => { n.textContent = name; });
      $('consent-client-initial').textContent = initialOf(name);
    }

    function bindInstitution() {
      const inst = S.institution;
      document.querySelectorAll('[data-bind="institution_name"]').forEach((n) => {
        n.textContent = inst ? inst.name : 'your bank';
      });
      document.querySelectorAll('[data-bind-logo]').forEach((n) => paintLogo(n, inst));
    }

    // -------------------------------------------------------------- open / exit

    function resetUi() {
      searchInput.value = '';
      resultsList.textContent = '';
      searchEmpty.hidden = true;
      searchSpinner.hidden = true;
      searchStatus.textContent = 'Popular institutions';
      $('cred-form').reset();
      $('mfa-form').reset();
      $('accounts-list').textContent = '';
      clearFieldErrors();
      removeOAuthFrame();
    }

    async function openLink() {
      if (S.open) return;
      S.open = true;
      S.exiting = false;
      const gen = ++S.gen;
      Object.assign(S, {
        view: null, returnView: null, linkSessionId: null, requestId: null, institution: null,
        status: 'requires_credentials', lastError: null, retry: null, lastQuery: null,
        oauthStateId: null, accounts: [], result: null, updateMode: false,
      });
      resetUi();
      backdrop.hidden = false;
      shell.hidden = false;
      showLoading('Loading', '');
      dialog.focus();

      const redirectUri = S.redirectUsed ? null : S.receivedRedirectUri;
      S.redirectUsed = true;
      const body = { link_token: S.token };
      if (redirectUri) body.received_redirect_uri = redirectUri;
      let res;
      try {
        res = await atLeast(api('/link/v2/session/start', body), 250);
      } catch (err) {
        if (gen !== S.gen) return;
        fail(err, null);
        return;
      }
      if (gen !== S.gen) return;
      S.linkSessionId = res.link_session_id || null;
      S.clientName = res.client_name || '';
      S.updateMode = !!res.update_mode;
      S.accountSelectionEnabled = !!res.account_selection_enabled;
      S.institution = res.institution || null;
      bindClient();
      bindInstitution();
      emit('OPEN');
      switch (res.step) {
        case 'select_institution':
          showView('consent');
          break;
        case 'credentials':
          goCredentials();
          break;
        case 'oauth':
          goOAuth();
          break;
        case 'select_accounts':
          S.status = 'requires_oauth';
          emit('CLOSE_OAUTH');
          onAccounts(res.accounts);
          break;
        case 'oauth_denied':
          S.status = 'requires_oauth';
          emit('CLOSE_OAUTH');
          fail(res.error || deniedError(), goOAuth);
          break;
        default:
          fail(normalizeError(null, 200), null);
      }
    }

    function closeUi() {
      S.open = false;
      S.gen++;
      clearTimeout(S.searchTimer);
      removeOAuthFrame();
      shell.hidden = true;
      backdrop.hidden = true;
      for (const v of views) v.hidden = true;
      S.view = null;
    }

    // The user (or the app) asked to leave: confirm unless there is nothing to lose.
    function requestExit() {
      if (!S.open || S.exiting || S.view === 'confirm_exit') return;
      if (S.view === 'success') {
        handoff();
        return;
      }
      if (S.view === 'error' || !S.linkSessionId) {
        exitNow();
        return;
      }
      S.returnView = S.view;
      showView('confirm_exit');
    }

    function stayAfterConfirm() {
      const back = S.returnView || 'consent';
      S.returnView = null;
      showView(back, { fromConfirm: true });
    }

    async function exitNow() {
      if (!S.open || S.exiting) return;
      S.exiting = true;
      S.gen++;
      const error = publicError(S.lastError);
      const status = S.status;
      if (S.linkSessionId) {
        showLoading('Exiting', '');
        const body = { link_session_id: S.linkSessionId, status };
        if (error) body.error = error;
        try {
          await withTimeout(api('/link/v2/session/exit', body), 2500);
        } catch (e) { /* the exit is still reported to the app */ }
      }
      const inst = S.institution;
      emit('EXIT', Object.assign({ exit_status: status }, errorFields(error)));
      const metadata = {
        institution: inst ? { name: inst.name, institution_id: inst.institution_id } : null,
        status,
        link_session_id: S.linkSessionId,
        request_id: S.requestId,
      };
      closeUi();
      send('exit', { error, metadata });
    }

    function handoff() {
      if (!S.open || !S.result) return;
      const result = S.result;
      emit('HANDOFF');
      const metadata = Object.assign({}, result.metadata || {});
      if (!metadata.link_session_id) metadata.link_session_id = S.linkSessionId;
      closeUi();
      send('success', { public_token: result.public_token, metadata });
    }

    $('confirm-exit').addEventListener('click', () => exitNow());
    $('confirm-stay').addEventListener('click', () => stayAfterConfirm());
    $('error-exit').addEventListener('click', () => exitNow());
    $('error-retry').addEventListener('click', () => {
      const retry = S.retry;
      S.retry = null;
      if (retry) retry();
    });
    $('success-continue').addEventListener('click', () => handoff());

    // -------------------------------------------------------------- errors

    function deniedError() {
      const bank = S.institution ? S.institution.name : 'your bank';
      return {
        error_type: 'OAUTH_ERROR',
        error_code: 'OAUTH_USER_DENIED',
        error_message: 'the user denied access on the institution\'s authorization page',
        display_message: 'You didn\u2019t allow ' + bank + ' to share your data, so your account wasn\u2019t connected.',
        request_id: null,
      };
    }

    // Records the error, fires ERROR and shows the error view. `retry` (or null) is what
    // "Try again" does.
    function fail(err, retry) {
      const e = err && err.error_code ? err : normalizeError(err, 0);
      if (e.request_id) S.requestId = e.request_id;
      S.lastError = e;
      emit('ERROR', errorFields(e));
      S.retry = FINAL_ERRORS.has(e.error_code) ? null : retry;
      $('error-title').textContent = ERROR_TITLES[e.error_code] || 'Something went wrong';
      $('error-message').textContent = e.display_message || e.error_message ||
        'An unexpected error occurred. Please try again.';
      $('error-code').textContent = (e.error_type ? e.error_type + ' / ' : '') + e.error_code;
      $('error-retry').hidden = !S.retry;
      // With nothing to retry, "Exit" is the main action.
      $('error-exit').classList.toggle('btn-primary', !S.retry);
      $('error-exit').classList.toggle('btn-secondary', !!S.retry);
      showView('error');
      announce($('error-title').textContent + '. ' + $('error-message').textContent, true);
    }

    function clearFieldErrors() {
      document.querySelectorAll('.field-error').forEach((n) => { n.hidden = true; });
      document.querySelectorAll('[aria-invalid]').forEach((n) => n.removeAttribute('aria-invalid'));
    }

    function fieldError(input, errorEl, text) {
      input.setAttribute('aria-invalid', 'true');
      if (text != null) errorEl.textContent = text;
      errorEl.hidden = false;
    }

    // -------------------------------------------------------------- consent + search

    $('consent-continue').addEventListener('click', () => {
      showView('select_institution');
      if (S.lastQuery === null) runSearch('');
    });

    async function runSearch(query) {
      const gen = S.gen;
      const seq = ++S.searchSeq;
      S.lastQuery = query;
      searchSpinner.hidden = false;
      if (query) emit('SEARCH_INSTITUTION', { institution_search_query: query });
      let res;
      try {
        res = await api('/link/v2/session/search', { link_session_id: S.linkSessionId, query });
      } catch (err) {
        if (gen !== S.gen || seq !== S.searchSeq) return;
        searchSpinner.hidden = true;
        searchStatus.textContent = 'Search failed: ' + (err.display_message || err.error_message);
        resultsList.textContent = '';
        announce(searchStatus.textContent, true);
        return;
      }
      if (gen !== S.gen || seq !== S.searchSeq) return;
      searchSpinner.hidden = true;
      renderResults(Array.isArray(res.institutions) ? res.institutions : [], query);
    }

    function renderResults(list, query) {
      const hadFocus = resultsList.contains(document.activeElement);
      resultsList.textContent = '';
      for (const inst of list) {
        const li = el('li');
        const btn = el('button', 'inst');
        btn.type = 'button';
        btn.dataset.institutionId = inst.institution_id;
        const logo = el('span', 'logo');
        logo.setAttribute('aria-hidden', 'true');
        paintLogo(logo, inst);
        const text = el('span', 'inst-text');
        text.appendChild(el('span', 'inst-name', inst.name));
        const host = hostOf(inst.url);
        if (host) text.appendChild(el('span', 'inst-url', host));
        btn.append(logo, text);
        const chevron = svgIcon('M9 6l6 6-6 6');
        chevron.classList.add('inst-chevron');
        btn.appendChild(chevron);
        btn.addEventListener('click', () => selectInstitution(inst));
        li.appendChild(btn);
        resultsList.appendChild(li);
      }
      const count = list.length;
      searchEmpty.hidden = count > 0;
      if (!query) {
        searchStatus.textContent = 'Popular institutions';
      } else {
        searchStatus.textContent = count === 1 ? '1 result' : count + ' results';
      }
      searchStatus.hidden = count === 0;
      // Plaid's exit status when the user gives up after a search without results.
      S.status = count === 0 && query ? 'institution_not_found' : 'requires_credentials';
      if (query) announce(count ? searchStatus.textContent : 'No results found');
      if (hadFocus) searchInput.focus();
    }

    searchInput.addEventListener('input', () => {
      clearTimeout(S.searchTimer);
      const query = searchInput.value.trim();
      S.searchTimer = setTimeout(() => {
        if (query !== S.lastQuery) runSearch(query);
      }, 220);
    });

    searchInput.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        const first = resultsList.querySelector('button');
        if (first) {
          e.preventDefault();
          first.focus();
        }
      } else if (e.key === 'Enter') {
        e.preventDefault();
        clearTimeout(S.searchTimer);
        const query = searchInput.value.trim();
        if (query !== S.lastQuery) runSearch(query);
      }
    });

    resultsList.addEventListener('keydown', (e) => {
      const buttons = Array.from(resultsList.querySelectorAll('button'));
      const i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      let next = null;
      if (e.key === 'ArrowDown') next = buttons[Math.min(i + 1, buttons.length - 1)];
      else if (e.key === 'ArrowUp') next = i === 0 ? searchInput : buttons[i - 1];
      else if (e.key === 'Home') next = buttons[0];
      else if (e.key === 'End') next = buttons[buttons.length - 1];
      if (next) {
        e.preventDefault();
        next.focus();
      }
    });

    function selectInstitution(inst) {
      clearTimeout(S.searchTimer);
      S.searchSeq += 1;
      searchSpinner.hidden = true;
      S.institution = inst;
      bindInstitution();
      emit('SELECT_INSTITUTION');
      if (inst.oauth) goOAuth();
      else goCredentials();
    }

    // -------------------------------------------------------------- credentials + MFA

    function goCredentials(keepUsername) {
      const username = $('cred-username').value;
      $('cred-form').reset();
      if (keepUsername) $('cred-username').value = username;
      setPasswordVisible(false);
      clearFieldErrors();
      S.status = 'requires_credentials';
      showView('credentials');
    }

    function setPasswordVisible(visible) {
      $('cred-password').type = visible ? 'text' : 'password';
      $('cred-toggle').textContent = visible ? 'Hide' : 'Show';
      $('cred-toggle').setAttribute('aria-pressed', visible ? 'true' : 'false');
      $('cred-toggle').setAttribute('aria-label', visible ? 'Hide password' : 'Show password');
    }
    $('cred-toggle').addEventListener('click', () => {
      setPasswordVisible($('cred-password').type === 'password');
    });

    $('cred-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      if (S.view !== 'credentials') return;
      clearFieldErrors();
      const username = $('cred-username').value.trim();
      const password = $('cred-password').value;
      if (!username || !password) {
        if (!password) fieldError($('cred-password'), $('cred-password-error'));
        if (!username) fieldError($('cred-username'), $('cred-username-error'));
        (username ? $('cred-password') : $('cred-username')).focus();
        announce(!username ? 'Enter your username.' : 'Enter your password.', true);
        return;
      }
      const gen = S.gen;
      const inst = S.institution;
      emit('SUBMIT_CREDENTIALS');
      showLoading('Connecting to ' + inst.name, 'Verifying your credentials\u2026');
      let res;
      try {
        res = await atLeast(api('/link/v2/session/credentials', {
          link_session_id: S.linkSessionId,
          institution_id: inst.institution_id,
          username,
          password,
        }), MIN_LOADING_MS);
      } catch (err) {
        if (gen !== S.gen) return;
        fail(err, () => goCredentials(true));
        return;
      }
      if (gen !== S.gen) return;
      S.lastError = null;
      if (res.step === 'mfa') goMfa(res.mfa || {});
      else onAccounts(res.accounts);
    });

    function goMfa(mfa) {
      $('mfa-form').reset();
      clearFieldErrors();
      if (mfa && mfa.message) $('mfa-message').textContent = mfa.message;
      S.status = 'requires_code';
      showView('mfa');
    }

    $('mfa-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      if (S.view !== 'mfa') return;
      clearFieldErrors();
      const input = $('mfa-code');
      const code = input.value.trim();
      if (!code) {
        fieldError(input, $('mfa-error'), 'Enter the code.');
        input.focus();
        announce('Enter the code.', true);
        return;
      }
      const gen = S.gen;
      emit('SUBMIT_MFA', { mfa_type: 'code' });
      showLoading('Verifying your code', '');
      let res;
      try {
        res = await atLeast(api('/link/v2/session/mfa', { link_session_id: S.linkSessionId, code }),
          MIN_LOADING_MS);
      } catch (err) {
        if (gen !== S.gen) return;
        if (err.error_code === 'INVALID_MFA') {
          // A wrong code may be retried in place.
          if (err.request_id) S.requestId = err.request_id;
          S.lastError = err;
          emit('ERROR', errorFields(err));
          input.value = '';
          showView('mfa');
          const text = err.display_message || err.error_message || 'That code is incorrect.';
          fieldError(input, $('mfa-error'), text);
          announce(text, true);
          return;
        }
        fail(err, () => goCredentials(true));
        return;
      }
      if (gen !== S.gen) return;
      S.lastError = null;
      onAccounts(res.accounts);
    });

    // -------------------------------------------------------------- OAuth

    function goOAuth() {
      removeOAuthFrame();
      S.status = 'requires_oauth';
      showView('oauth');
    }

    function removeOAuthFrame() {
      if (S.oauthFrame) {
        S.oauthFrame.remove();
        S.oauthFrame = null;
      }
    }

    $('oauth-continue').addEventListener('click', async () => {
      if (S.view !== 'oauth') return;
      const gen = S.gen;
      const inst = S.institution;
      emit('OPEN_OAUTH');
      showLoading('Opening ' + inst.name, '');
      let res;
      try {
        res = await atLeast(api('/link/v2/session/oauth', {
          link_session_id: S.linkSessionId,
          institution_id: inst.institution_id,
        }), 300);
      } catch (err) {
        if (gen !== S.gen) return;
        fail(err, goOAuth);
        return;
      }
      if (gen !== S.gen) return;
      const url = new URL(res.authorize_url, window.location.origin);
      S.oauthStateId = res.oauth_state_id;
      if (res.redirect) {
        showLoading('Redirecting you to ' + inst.name, 'You\u2019ll come back here when you\u2019re done.');
        send('redirect', { url: url.href });
        return;
      }
      url.searchParams.set('inline', '1');
      removeOAuthFrame();
      const frame = document.createElement('iframe');
      frame.className = 'bank-frame';
      frame.title = inst.name + ' authorization';
      frame.src = url.href;
      $('oauth-inline-title').textContent = 'Log in at ' + inst.name;
      viewEl('oauth_inline').querySelector('.bank-frame-wrap').appendChild(frame);
      S.oauthFrame = frame;
      showView('oauth_inline');
    });

    // The stand-in bank page (inline mode) reports the user's decision.
    function onOAuthResult(data) {
      if (data.type !== 'oauth_result' || !S.open) return;
      if (data.oauth_state_id !== S.oauthStateId) return;
      removeOAuthFrame();
      if (data.request_id) S.requestId = data.request_id;
      emit('CLOSE_OAUTH');
      if (data.denied) {
        fail(data.error && data.error.error_code ? data.error : deniedError(), goOAuth);
      } else if (data.error) {
        fail(data.error, goOAuth);
      } else {
        S.lastError = null;
        onAccounts(data.accounts);
      }
    }

    // -------------------------------------------------------------- accounts + success

    const SUBTYPE_LABELS = {
      cd: 'CD', ira: 'IRA', '401k': '401(k)', '403b': '403(b)', '457b': '457(b)', hsa: 'HSA',
      roth: 'Roth IRA', 'roth 401k': 'Roth 401(k)', sep: 'SEP IRA', 'simple ira': 'SIMPLE IRA',
      'money market': 'Money market', 'credit card': 'Credit card', paypal: 'PayPal',
    };
    function subtypeLabel(kind) {
      if (!kind) return '';
      if (SUBTYPE_LABELS[kind]) return SUBTYPE_LABELS[kind];
      return kind.charAt(0).toUpperCase() + kind.slice(1);
    }

    function onAccounts(accounts) {
      S.accounts = Array.isArray(accounts) ? accounts : [];
      if (S.updateMode && !S.accountSelectionEnabled) {
        complete(S.accounts.map((a) => a.id));
        return;
      }
      const list = $('accounts-list');
      list.textContent = '';
      for (const acct of S.accounts) {
        const li = el('li');
        const label = el('label', 'acct');
        const box = el('input');
        box.type = 'checkbox';
        box.name = 'account';
        box.value = acct.id;
        box.checked = true;
        const text = el('span', 'acct-text');
        text.appendChild(el('span', 'acct-name', acct.name || 'Account'));
        const metaText = [subtypeLabel(acct.subtype || acct.type || ''),
          acct.mask ? '\u2022\u2022\u2022\u2022 ' + acct.mask : ''].filter(Boolean).join('  ');
        text.appendChild(el('span', 'acct-meta', metaText));
        label.append(box, text);
        li.appendChild(label);
        list.appendChild(li);
      }
      clearFieldErrors();
      S.status = 'requires_account_selection';
      showView('select_accounts');
    }

    $('accounts-list').addEventListener('change', () => {
      if ($('accounts-list').querySelector('input:checked')) $('accounts-error').hidden = true;
    });

    $('accounts-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (S.view !== 'select_accounts') return;
      const ids = Array.from($('accounts-list').querySelectorAll('input:checked')).map((n) => n.value);
      if (!ids.length) {
        $('accounts-error').hidden = false;
        announce($('accounts-error').textContent, true);
        return;
      }
      complete(ids);
    });

    async function complete(accountIds) {
      const gen = S.gen;
      showLoading('Connecting your account', 'This usually takes a few seconds.');
      let res;
      try {
        res = await atLeast(api('/link/v2/session/complete', {
          link_session_id: S.linkSessionId,
          account_ids: accountIds,
        }), MIN_LOADING_MS);
      } catch (err) {
        if (gen !== S.gen) return;
        fail(err, () => complete(accountIds));
        return;
      }
      if (gen !== S.gen) return;
      S.lastError = null;
      S.result = res;
      showView('success');
      announce('Success! Your account has been connected.');
    }

    // -------------------------------------------------------------- start

    // Tell the parent we can take `init`. Nothing secret here, so an unknown parent origin
    // (no referrer, no ancestorOrigins) falls back to '*'.
    if (window.parent !== window) {
      window.parent.postMessage({ [TAG]: true, type: 'ready' }, expectedParentOrigin() || '*');
    }
  }

  // ------------------------------------------------------------------ stand-in bank page

  function initBankPage() {
    const params = new URLSearchParams(window.location.search);
    const stateId = params.get('oauth_state_id');
    const framed = window.parent !== window;
    let info = null;
    let inline = false;
    let busy = false;

    function showState(id) {
      for (const s of document.querySelectorAll('.bank-state')) s.hidden = s.id !== id;
    }

    function showError(title, message) {
      $('bank-error-title').textContent = title;
      $('bank-error-message').textContent = message;
      showState('bank-error');
      $('bank-live').textContent = title + '. ' + message;
    }

    function showDone(text) {
      $('bank-done-text').textContent = text;
      showState('bank-done');
      $('bank-live').textContent = text;
    }

    function paintBank(inst) {
      const name = (inst && inst.name) || 'Your bank';
      document.title = name + ' \u2013 Authorize access';
      $('bank-top-name').textContent = name;
      $('bank-logo').textContent = initialOf(name);
      document.querySelectorAll('[data-bank-name]').forEach((n) => { n.textContent = name; });
      const color = parseHexColor(inst && inst.primary_color);
      if (color) {
        document.body.style.setProperty('--bank-color', color);
        document.body.style.setProperty('--bank-fg', isLightColor(color) ? '#111216' : '#ffffff');
      }
    }

    function redirectTo(extra) {
      const url = new URL(info.redirect_uri, window.location.href);
      url.searchParams.set('oauth_state_id', stateId);
      if (extra) for (const k of Object.keys(extra)) url.searchParams.set(k, extra[k]);
      window.location.assign(url.href);
    }

    function report(fields) {
      const msg = Object.assign({ [TAG]: true, type: 'oauth_result', oauth_state_id: stateId }, fields);
      window.parent.postMessage(msg, window.location.origin);
    }

    function setButtonsDisabled(disabled) {
      $('bank-allow').disabled = disabled;
      $('bank-deny').disabled = disabled;
    }

    $('bank-allow').addEventListener('click', async () => {
      if (busy) return;
      busy = true;
      setButtonsDisabled(true);
      if (!inline) {
        if (!info.redirect_uri) {
          showError('Can\u2019t return to the app', 'This Link session has no redirect URI.');
          return;
        }
        showDone('Returning you to the app\u2026');
        redirectTo(null);
        return;
      }
      showDone('Returning you to Plaid\u2026');
      try {
        const res = await post('/link/v2/session/oauth/approve', { oauth_state_id: stateId });
        report({ accounts: res.accounts || [], step: res.step || null, request_id: res.request_id || null });
      } catch (err) {
        report({ error: err, request_id: err.request_id || null });
      }
    });

    $('bank-deny').addEventListener('click', async () => {
      if (busy) return;
      busy = true;
      setButtonsDisabled(true);
      showDone(inline ? 'Returning you to Plaid\u2026' : 'Returning you to the app\u2026');
      let error = null;
      let requestId = null;
      try {
        // The emulator answers 200 {denied: true, error: {OAUTH_ERROR/OAUTH_USER_DENIED...}}.
        const res = await post('/link/v2/session/oauth/approve', { oauth_state_id: stateId, denied: true });
        requestId = res.request_id || null;
        if (res.error && res.error.error_code) error = normalizeError(res.error, 200);
      } catch (err) {
        requestId = err.request_id || null;
        if (err.error_type === 'OAUTH_ERROR') error = err;
      }
      if (inline) {
        report({ denied: true, error, request_id: requestId });
      } else if (info.redirect_uri) {
        redirectTo({ error: 'access_denied' });
      } else {
        showError('Access denied', 'You can close this window.');
      }
    });

    async function load() {
      if (!stateId) {
        paintBank(null);
        showError('This request can\u2019t be completed',
          'The authorization link is missing its oauth_state_id. Start again from the app.');
        return;
      }
      try {
        info = await post('/link/v2/session/oauth/info', { oauth_state_id: stateId });
      } catch (err) {
        paintBank(null);
        showError('This request can\u2019t be completed',
          err.display_message || err.error_message || 'The authorization request has expired.');
        return;
      }
      inline = framed && (params.get('inline') === '1' || info.inline === true);
      document.body.classList.toggle('bank-inline', inline);
      paintBank(info.institution);
      if (info.client_name) $('bank-client').textContent = info.client_name;
      showState('bank-consent');
      $('bank-allow').focus({ preventScroll: true });
    }

    load();
  }

  if (document.body && document.body.dataset.page === 'oauth') initBankPage();
  else initLinkFrame();
})();
