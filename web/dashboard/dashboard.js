/*
 * linkhub's operator dashboard: the Accounts and Webhooks pages. Talks only to /dashboard/api/* on this
 * origin, with the session cookie the server set at sign-in and the session's CSRF token in
 * x-csrf-token on every change. Builds every element with textContent: nothing from the server
 * is ever parsed as HTML.
 */
(function () {
  'use strict';

  var API = '/dashboard/api';
  var HUB_SOURCE = 'linkhub-hub';
  var PAGE_SIZE = 25;

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    csrf: '',
    project: null,
    page: 1,
    filters: {},
    accounts: [],
    current: null,   // the account open in the account dialog
    actions: [],     // the tester's catalogue for the current account
    loads: 0,        // the latest list request: older answers are dropped
    view: 'accounts',   // the page shown when signed in: 'accounts' or 'webhooks'
    webhooks: [],       // the project's endpoints, as last listed
    webhookLoads: 0,
    deliveriesFor: null,  // the endpoint whose recent deliveries are shown
    deliveries: [],
    deliveryLoads: 0,
    deliveryRefresh: null,  // the timer of the refresh that follows a retry
    webhookToDelete: null,
    timelineLoads: 0,
  };
  // What had focus before each dialog opened: it gets the focus back when the dialog closes.
  var openers = new WeakMap();

  // The re-link each status reason asks for (the reason's `relink`), as the next step to show.
  var NEXT_STEP = {
    update: 'Next step: re-link.',
    update_accounts: 'Next step: re-link and choose the new accounts.',
    link_again: 'Next step: the user must link the bank again (a new link).',
  };
  // Reasons that leave an account active: a warning of what will break, or what it could add.
  var WARNINGS = ['consent_expiring', 'pending_disconnect', 'new_accounts_available'];
  var TIMELINE_KINDS = { plaid_webhook: 'Plaid webhook', event: 'linkhub event' };
  var PAGES = {
    accounts: { view: 'accounts-view', title: 'accounts-title', name: 'Accounts' },
    webhooks: { view: 'webhooks-view', title: 'webhooks-title', name: 'Webhooks' },
  };

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'className') node.className = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  var progressTimer = null;
  function announce(text) {
    var live = $('progress');
    live.textContent = '';
    window.clearTimeout(progressTimer);
    progressTimer = window.setTimeout(function () { live.textContent = text; }, 30);
  }

  function showError(message) {
    var alert = $('alert');
    alert.textContent = message;
    alert.hidden = !message;
  }

  function formatTime(iso, withSeconds) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    var opts = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    if (withSeconds) opts.second = '2-digit';
    return d.toLocaleString(undefined, opts);
  }

  function timeEl(iso, withSeconds) {
    return el('time', { datetime: iso, text: formatTime(iso, withSeconds) });
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  // Re-rendering a list replaces its buttons: these two keep the keyboard focus on the
  // button that had it (buttons carry data-focus-key).
  function focusedKey() {
    var a = document.activeElement;
    return a && a.dataset ? a.dataset.focusKey || '' : '';
  }
  function byFocusKey(key) {
    return key ? document.querySelector('[data-focus-key="' + key.replace(/["\\]/g, '') + '"]') : null;
  }
  function refocus(key) {
    var b = byFocusKey(key);
    if (b) b.focus();
  }

  // Calls the dashboard API. Resolves to the parsed body; rejects with an Error carrying
  // `status` and the server's message.
  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = state.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(API + path, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      return res.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        if (!res.ok) {
          var err = new Error(parsed && parsed.message ? parsed.message : 'The server answered ' + res.status + '.');
          err.status = res.status;
          err.body = parsed;
          if (res.status === 401 && path !== '/sign_in' && path !== '/session') signedOut('Your session ended. Sign in again.');
          throw err;
        }
        return parsed;
      });
    }, function () {
      var err = new Error('linkhub cannot be reached. Check your connection and try again.');
      err.status = 0;
      throw err;
    });
  }

  function copyText(text, what) {
    var done = function () { announce((what || 'Text') + ' copied to the clipboard.'); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).then(done, function () {
        showError('Copying was not allowed by the browser: select the text and copy it by hand.');
      });
    }
    showError('Copying is not available here: select the text and copy it by hand.');
    return Promise.resolve();
  }

  function busy(button, on, label) {
    if (!button) return;
    if (on) {
      button.dataset.label = button.textContent;
      if (label) button.textContent = label;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
    } else {
      if (button.dataset.label) button.textContent = button.dataset.label;
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  // ------------------------------------------------------------------ dialogs

  function openDialog(dialog) {
    openers.set(dialog, document.activeElement);
    showError('');
    dialog.showModal();
  }

  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }

  document.addEventListener('click', function (e) {
    var t = e.target.closest('[data-close]');
    if (t) closeDialog(t.closest('dialog'));
    var c = e.target.closest('[data-copy]');
    if (c) {
      var input = $(c.getAttribute('data-copy'));
      copyText(input.value, c.getAttribute('data-copy-what') || 'Link');
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll('dialog'), function (d) {
    d.addEventListener('close', function () {
      if (d.id === 'hub-dialog') $('hub-frame').removeAttribute('src');
      var back = openers.get(d);
      // Opened from a dialog that has closed since (Link account, then Link now): the focus goes
      // to what opened that one.
      for (var hops = 0; hops < 4 && back && back.closest; hops += 1) {
        var host = back.closest('dialog');
        if (!host || host.open || !openers.has(host)) break;
        back = openers.get(host);
      }
      if (back && !document.contains(back) && back.dataset && back.dataset.focusKey) {
        // The row was drawn again meanwhile: its new button takes the focus.
        back = byFocusKey(back.dataset.focusKey);
      }
      if (back && document.contains(back) && typeof back.focus === 'function') back.focus();
    });
  });

  // ------------------------------------------------------------------ session

  function showView(name) {
    $('loading').hidden = true;
    $('sign-in-view').hidden = name !== 'sign-in';
    Object.keys(PAGES).forEach(function (p) { $(PAGES[p].view).hidden = name !== p; });
    $('sign-out').hidden = name === 'sign-in';
    $('pages-nav').hidden = name === 'sign-in';
  }

  // The page named by the address's fragment (#accounts, #webhooks), if any.
  function pageFromHash() {
    var name = window.location.hash.replace(/^#/, '');
    return Object.prototype.hasOwnProperty.call(PAGES, name) ? name : null;
  }

  // Shows one page of the signed-in dashboard and loads what it lists. `focus` moves the focus
  // to its heading (a navigation); the sign-in does that itself.
  function showPage(name, focus) {
    state.view = name;
    showView(name);
    Array.prototype.forEach.call(document.querySelectorAll('#pages-nav a[data-page]'), function (a) {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.title = PAGES[name].name + ' · ' + (state.project ? state.project.name + ' · ' : '') + 'linkhub';
    if (focus) $(PAGES[name].title).focus();
    if (name === 'webhooks') return loadWebhooks();
    loadWebhookHealth();
    return loadAccounts();
  }

  function signedIn(session) {
    state.csrf = session.csrf_token;
    state.project = session.project;
    $('project-name').textContent = session.project ? session.project.name : '';
    loadOrphans();
    return showPage(pageFromHash() || 'accounts', false);
  }

  window.addEventListener('hashchange', function () {
    // Back to the bare address is the Accounts page; other fragments (#main) are not pages.
    var name = pageFromHash() || (window.location.hash === '' ? 'accounts' : null);
    if (!name || !state.csrf) return;
    showError('');
    if (name === state.view) $(PAGES[name].title).focus();
    else showPage(name, true);
  });
  // A click on the page already shown changes no address: it still takes the focus to the heading.
  $('pages-nav').addEventListener('click', function (e) {
    var a = e.target.closest('a[data-page]');
    if (a && a.dataset.page === state.view && pageFromHash() === state.view) {
      e.preventDefault();
      $(PAGES[state.view].title).focus();
    }
  });

  function failingText(n) {
    return n === 1
      ? '1 webhook endpoint is failing: every delivery to it has failed for a day.'
      : n + ' webhook endpoints are failing: every delivery to them has failed for a day.';
  }

  // Failing webhook endpoints, counted on the Accounts page: shown only when there are some.
  function loadWebhookHealth() {
    return api('GET', '/webhooks').then(function (res) {
      var n = res.failing || 0;
      $('failing-notice').hidden = n === 0;
      $('failing-summary').textContent = n ? failingText(n) : '';
    }).catch(function (err) {
      // 404: this server sends no events, so there is nothing to fail.
      if (err.status !== 401 && err.status !== 404) showError('The webhook endpoints could not be checked: ' + err.message);
    });
  }

  // Orphaned Items of the project: shown only when there are some.
  function loadOrphans() {
    return api('GET', '/orphans').then(function (res) {
      var n = res.data.length;
      $('orphans').hidden = n === 0;
      if (n === 0) return;
      $('orphans-summary').textContent = n + (n === 1 ? ' orphaned Item' : ' orphaned Items') +
        ' at Plaid (' + res.definite + ' definite, ' + res.possible + ' possible)';
      var list = $('orphans-list');
      clear(list);
      res.data.forEach(function (o) {
        list.appendChild(el('li', {}, [
          el('code', {}, [o.id]), ' · ' + o.certainty +
            (o.item_id ? ' · item ' + o.item_id : '') +
            ' · link_session_id ' + (o.link_session_id || 'not recorded') +
            (o.removable ? ' · removable' : '') + ' · ', timeEl(o.created_at), ' · ' + o.reason]));
      });
    }).catch(function (err) {
      if (err.status !== 401) showError('The orphaned Items could not be loaded: ' + err.message);
    });
  }

  function signedOut(message) {
    state.csrf = '';
    state.project = null;
    $('project-name').textContent = '';
    Array.prototype.forEach.call(document.querySelectorAll('dialog[open]'), function (d) { d.close(); });
    hideSecret();
    hideDeliveries();
    showView('sign-in');
    $('sign-in-error').textContent = message || '';
    $('api-key').value = '';
    $('api-key').focus();
  }

  $('sign-in-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var key = $('api-key').value.trim();
    var error = $('sign-in-error');
    if (!key) {
      error.textContent = 'Enter the project\'s API key.';
      $('api-key').setAttribute('aria-invalid', 'true');
      $('api-key').focus();
      return;
    }
    var button = e.submitter || this.querySelector('button[type=submit]');
    busy(button, true, 'Signing in…');
    error.textContent = '';
    announce('Signing in…');
    api('POST', '/sign_in', { api_key: key }).then(function (session) {
      $('api-key').value = '';
      $('api-key').removeAttribute('aria-invalid');
      announce('Signed in.');
      return signedIn(session).then(function () { $(PAGES[state.view].title).focus(); });
    }).catch(function (err) {
      $('api-key').setAttribute('aria-invalid', 'true');
      error.textContent = err.status === 401 ? 'This API key is not valid, or it was revoked.' : err.message;
      $('api-key').focus();
    }).then(function () { busy(button, false); });
  });

  $('sign-out').addEventListener('click', function () {
    api('POST', '/sign_out').then(function () {
      signedOut('');
      announce('Signed out.');
    }, function (err) { showError(err.message); });
  });

  // ------------------------------------------------------------------ accounts list

  function kindOf(a) {
    var env = a.plaid && a.plaid.environment;
    return env === 'production' ? 'production' : 'test';
  }

  // One status reason: what happened, when consent runs out, and the step it asks for.
  function reasonEl(r) {
    var parts = [r.description || r.code];
    if (r.expires_at) {
      parts.push(' Consent runs out on ', timeEl(r.expires_at), '.');
    }
    if (NEXT_STEP[r.relink]) parts.push(el('span', { className: 'next-step', text: NEXT_STEP[r.relink] }));
    return el('div', {
      className: 'reason' + (WARNINGS.indexOf(r.code) >= 0 ? ' warning' : ''),
      'data-code': r.code,
    }, parts);
  }

  function statusCell(a) {
    var cell = [el('span', { className: 'badge ' + a.status, text: a.status })];
    (a.status_reasons || []).forEach(function (r) {
      if (r.description || r.code) cell.push(reasonEl(r));
    });
    return cell;
  }

  // The re-link the account's reasons ask for, the strongest first: an Item that is gone must be
  // linked again; account selection also repairs a login; '' when there is nothing to do.
  function relinkMode(a) {
    var modes = (a.status_reasons || []).map(function (r) { return r.relink || ''; });
    var order = ['link_again', 'update_accounts', 'update'];
    for (var i = 0; i < order.length; i += 1) {
      if (modes.indexOf(order[i]) >= 0) return order[i];
    }
    return '';
  }

  function institutionOf(a) {
    return (a.plaid && a.plaid.institution_name) || 'Bank not known yet';
  }

  function renderAccounts() {
    var body = $('accounts-body');
    clear(body);
    state.accounts.forEach(function (a) {
      var products = (a.plaid && a.plaid.products) || [];
      var manage = el('button', { type: 'button', 'data-account': a.id, 'data-focus-key': 'account:' + a.id, text: 'Manage',
        'aria-label': 'Manage ' + institutionOf(a) + ' account of ' + a.origin_owner_name });
      manage.addEventListener('click', function () { openAccount(a.id); });
      body.appendChild(el('tr', { 'data-account-id': a.id }, [
        el('td', { 'data-label': 'Account' }, [
          el('div', { className: 'primary-line', text: institutionOf(a) }),
          el('div', { className: 'secondary-line', text: a.origin_owner_name + ' · ' + a.origin_owner_id }),
          el('div', { className: 'secondary-line mono', text: a.id }),
        ]),
        el('td', { 'data-label': 'Connector', text: a.provider_name || a.provider }),
        el('td', { 'data-label': 'Type' }, [el('span', { className: 'badge ' + kindOf(a), text: kindOf(a) })]),
        el('td', { 'data-label': 'Config' }, [
          el('div', { text: 'Plaid ' + ((a.plaid && a.plaid.environment) || '') }),
          el('div', { className: 'secondary-line', text: products.join(', ') || 'no products' }),
        ]),
        el('td', { 'data-label': 'Status' }, statusCell(a)),
        el('td', { 'data-label': 'Connected' }, [timeEl(a.created_at)]),
        el('td', null, [manage]),
      ]));
    });
    $('accounts-empty').hidden = state.accounts.length > 0;
  }

  // Loads the current page. `done` is announced with the count once the list is drawn, so that
  // it is not drowned by the list's own announcement.
  function loadAccounts(done) {
    var seq = ++state.loads;
    var q = new URLSearchParams();
    Object.keys(state.filters).forEach(function (k) {
      if (state.filters[k]) q.set(k, state.filters[k]);
    });
    q.set('page', String(state.page));
    q.set('page_size', String(PAGE_SIZE));
    if (!done) announce('Loading accounts…');
    $('accounts-table').setAttribute('aria-busy', 'true');
    return api('GET', '/accounts?' + q.toString()).then(function (res) {
      if (seq !== state.loads) return;
      state.accounts = res.data;
      renderAccounts();
      $('page-label').textContent = 'Page ' + res.page;
      $('page-prev').disabled = res.page <= 1;
      $('page-next').disabled = !res.has_more;
      var n = res.data.length;
      var count = n === 0 ? 'No accounts match.' : n + (n === 1 ? ' account' : ' accounts') + ' on page ' + res.page + '.';
      announce(done ? done + ' ' + count : count);
    }).catch(function (err) {
      if (seq === state.loads && err.status !== 401) showError('The accounts could not be loaded: ' + err.message);
    }).then(function () {
      if (seq === state.loads) $('accounts-table').removeAttribute('aria-busy');
    });
  }

  $('filters').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = new FormData(this);
    state.filters = {
      status: f.get('status') || '',
      origin_owner_id: (f.get('origin_owner_id') || '').trim(),
      provider: f.get('provider') || '',
    };
    state.page = 1;
    showError('');
    loadAccounts();
  });
  $('filters').addEventListener('reset', function () {
    state.filters = {};
    state.page = 1;
    showError('');
    loadAccounts();
  });
  $('page-prev').addEventListener('click', function () {
    if (state.page > 1) { state.page -= 1; loadAccounts(); }
  });
  $('page-next').addEventListener('click', function () {
    state.page += 1;
    loadAccounts();
  });

  // ------------------------------------------------------------------ one account

  function fact(dl, term, value) {
    dl.appendChild(el('dt', { text: term }));
    dl.appendChild(el('dd', null, Array.isArray(value) ? value : [value]));
  }

  function renderAccount(a, changed) {
    state.current = a;
    $('account-title').textContent = institutionOf(a) + ' · ' + a.origin_owner_name;
    var dl = $('account-facts');
    clear(dl);
    fact(dl, 'Account id', el('code', { text: a.id }));
    fact(dl, 'Status', statusCell(a));
    fact(dl, 'Owner', a.origin_owner_name + ' (' + a.origin_owner_id + ')');
    fact(dl, 'Connector', a.provider_name || a.provider);
    fact(dl, 'Type', kindOf(a));
    fact(dl, 'Plaid environment', (a.plaid && a.plaid.environment) || '');
    fact(dl, 'Products', ((a.plaid && a.plaid.products) || []).join(', ') || 'none');
    var banks = ((a.plaid && a.plaid.accounts) || []).map(function (b) {
      return b.name + (b.mask ? ' ••' + b.mask : '') + (b.subtype ? ' (' + b.subtype + ')' : '');
    });
    fact(dl, 'Bank accounts', banks.join(', ') || 'not known yet');
    fact(dl, 'Connected', timeEl(a.created_at));
    fact(dl, 'Updated', timeEl(a.updated_at));
    var suspended = a.status === 'suspended';
    $('suspend').hidden = suspended;
    $('resume').hidden = !suspended;
    renderRelink(a);
    if (changed) {
      // Keep the account's row in the list in step.
      state.accounts = state.accounts.map(function (x) { return x.id === a.id ? a : x; });
      renderAccounts();
    }
  }

  // The Re-link button says which re-link the account needs and is the suggested step when it
  // needs one; an Item that is gone offers a new link instead.
  function renderRelink(a) {
    var mode = relinkMode(a);
    var relink = $('relink');
    var advice = $('relink-advice');
    relink.hidden = mode === 'link_again';
    relink.textContent = mode === 'update_accounts' ? 'Re-link and choose new accounts' : 'Re-link';
    relink.classList.toggle('primary', mode === 'update' || mode === 'update_accounts' ||
      (mode === '' && a.status === 'error'));
    $('link-again').hidden = mode !== 'link_again';
    $('relink-url-label').textContent = mode === 'update_accounts'
      ? 'Re-link URL (send it to the account\'s owner; Plaid Link opens in update mode, with account selection)'
      : 'Re-link URL (send it to the account\'s owner; Plaid Link opens in update mode)';
    var text = {
      update: 'Suggested: re-link. Send the re-link URL to the account\'s owner: they log in again in ' +
        'Plaid Link (update mode) and the account carries on, with the same id.',
      update_accounts: 'Suggested: re-link and choose new accounts. The bank has accounts the owner has ' +
        'not shared yet: Plaid Link opens in update mode with account selection, so they can add them.',
      link_again: 'Plaid no longer holds this Item, so a re-link cannot repair it: the user must link the ' +
        'bank again, with a new link (Link the bank again).',
    }[mode];
    advice.textContent = text || '';
    advice.hidden = !text;
  }

  function selectTab(id) {
    ['overview', 'tester', 'logs', 'timeline'].forEach(function (name) {
      var tab = $('tab-' + name);
      var on = name === id;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + name).hidden = !on;
    });
    if (id === 'tester' && state.actions.length === 0) loadActions();
    if (id === 'logs') loadLogs();
    if (id === 'timeline') loadTimeline();
  }

  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role=tab]'));
  tabs.forEach(function (tab, i) {
    tab.addEventListener('click', function () { selectTab(tab.id.replace('tab-', '')); });
    tab.addEventListener('keydown', function (e) {
      var next = null;
      if (e.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
      else if (e.key === 'ArrowLeft') next = tabs[(i + tabs.length - 1) % tabs.length];
      else if (e.key === 'Home') next = tabs[0];
      else if (e.key === 'End') next = tabs[tabs.length - 1];
      if (next) {
        e.preventDefault();
        next.focus();
        selectTab(next.id.replace('tab-', ''));
      }
    });
  });

  function openAccount(id) {
    var a = state.accounts.filter(function (x) { return x.id === id; })[0];
    if (!a) return;
    state.actions = [];
    $('relink-result').hidden = true;
    clear($('tester-action'));
    clear($('tester-fields'));
    $('tester-result').textContent = 'Run an action to see Plaid\'s answer here.';
    $('tester-meta').textContent = '';
    $('tester-error').textContent = '';
    clear($('timeline-list'));
    $('timeline-empty').hidden = true;
    renderAccount(a);
    selectTab('overview');
    openDialog($('account-dialog'));
    $('tab-overview').focus();
  }

  function accountCall(button, method, suffix, busyLabel, done) {
    var a = state.current;
    busy(button, true, busyLabel);
    announce(busyLabel);
    return api(method, '/accounts/' + encodeURIComponent(a.id) + suffix).then(done).catch(function (err) {
      showError(err.message);
      announce(err.message);
    }).then(function () { busy(button, false); });
  }

  $('copy-id').addEventListener('click', function () {
    copyText(state.current.id, 'Account id');
  });
  $('suspend').addEventListener('click', function () {
    accountCall(this, 'POST', '/suspend', 'Suspending…', function (a) {
      renderAccount(a, true);
      announce('Account suspended: every action on it is refused until you resume it.');
      $('resume').focus();
    });
  });
  $('resume').addEventListener('click', function () {
    accountCall(this, 'POST', '/resume', 'Resuming…', function (a) {
      renderAccount(a, true);
      announce('Account resumed.');
      $('suspend').focus();
    });
  });
  $('relink').addEventListener('click', function () {
    accountCall(this, 'POST', '/relink', 'Creating a re-link link…', function (link) {
      $('relink-url').value = link.auth_link_url;
      $('relink-expiry').textContent = 'Valid until ' + formatTime(link.expires_at) + '.';
      $('relink-result').hidden = false;
      $('relink-url').focus();
      $('relink-url').select();
      announce('Re-link URL ready.');
    });
  });
  $('link-again').addEventListener('click', function () {
    var a = state.current;
    openLinkDialog({ origin_owner_id: a.origin_owner_id, origin_owner_name: a.origin_owner_name });
  });
  $('delete').addEventListener('click', function () {
    var a = state.current;
    $('confirm-text').textContent = 'The ' + institutionOf(a) + ' account of ' + a.origin_owner_name +
      ' (' + a.id + ') will be removed at Plaid and deleted here. This cannot be undone.';
    openDialog($('confirm-dialog'));
    $('confirm-cancel').focus();
  });
  $('confirm-delete').addEventListener('click', function () {
    var button = this;
    var a = state.current;
    busy(button, true, 'Deleting…');
    announce('Deleting the account…');
    api('DELETE', '/accounts/' + encodeURIComponent(a.id)).then(function () {
      closeDialog($('confirm-dialog'));
      closeDialog($('account-dialog'));
      return loadAccounts('Account ' + a.id + ' deleted.').then(function () { $('accounts-title').focus(); });
    }).catch(function (err) {
      closeDialog($('confirm-dialog'));
      showError('The account was not deleted: ' + err.message);
    }).then(function () { busy(button, false); });
  });

  // ------------------------------------------------------------------ action tester

  function loadActions() {
    var a = state.current;
    announce('Loading actions…');
    return api('GET', '/accounts/' + encodeURIComponent(a.id) + '/actions').then(function (res) {
      state.actions = res.data;
      var select = $('tester-action');
      clear(select);
      var ready = el('optgroup', { label: 'Ready for this account' });
      var other = el('optgroup', { label: 'Need a product this account lacks' });
      res.data.forEach(function (action) {
        var opt = el('option', { value: action.id, text: action.label + ' (' + action.id + ')' });
        (action.supported ? ready : other).appendChild(opt);
      });
      if (ready.children.length) select.appendChild(ready);
      if (other.children.length) select.appendChild(other);
      renderActionForm();
      announce(res.data.length + ' actions loaded.');
    }).catch(function (err) { showError(err.message); });
  }

  function currentAction() {
    var id = $('tester-action').value;
    return state.actions.filter(function (x) { return x.id === id; })[0];
  }

  // One form control per property of the action's input schema.
  function renderActionForm() {
    var action = currentAction();
    var box = $('tester-fields');
    clear(box);
    $('tester-error').textContent = '';
    if (!action) return;
    var desc = action.description + ' Plaid endpoint: ' + action.plaid_endpoint + '.';
    if (!action.supported) desc += ' This account was not linked with ' + action.product + ': running it answers 409.';
    $('tester-description').textContent = desc;
    var schema = action.input_schema || {};
    var props = schema.properties || {};
    var required = schema.required || [];
    var names = Object.keys(props);
    $('tester-inputs').hidden = names.length === 0;
    names.forEach(function (name) {
      var p = props[name] || {};
      var id = 'in-' + name;
      var isRequired = required.indexOf(name) >= 0;
      var helpId = id + '-help';
      var help = [];
      if (p.description) help.push(p.description);
      var input;
      if (p.enum) {
        input = el('select', { id: id });
        input.appendChild(el('option', { value: '', text: isRequired ? 'Choose…' : 'Not set' }));
        p.enum.forEach(function (v) { input.appendChild(el('option', { value: String(v), text: String(v) })); });
      } else if (p.type === 'boolean') {
        input = el('select', { id: id });
        input.appendChild(el('option', { value: '', text: 'Not set' }));
        input.appendChild(el('option', { value: 'true', text: 'true' }));
        input.appendChild(el('option', { value: 'false', text: 'false' }));
      } else if (p.type === 'integer' || p.type === 'number') {
        input = el('input', { id: id, type: 'number', step: p.type === 'integer' ? '1' : 'any',
          min: p.minimum, max: p.maximum, inputmode: 'numeric' });
      } else if (p.type === 'array') {
        input = el('input', { id: id, type: 'text', spellcheck: 'false', autocomplete: 'off' });
        help.push('Several values: separate them with commas.');
      } else if (p.type === 'string' && p.format === 'date') {
        input = el('input', { id: id, type: 'date' });
      } else if (p.type === 'string' && p.format === 'date-time') {
        input = el('input', { id: id, type: 'datetime-local', step: '1' });
        help.push('Your local time; sent as UTC.');
      } else if (p.type === 'string') {
        input = el('input', { id: id, type: 'text', maxlength: p.maxLength, spellcheck: 'false', autocomplete: 'off' });
      } else {
        input = el('textarea', { id: id, spellcheck: 'false' });
        help.push('JSON.');
      }
      input.setAttribute('name', name);
      input.dataset.kind = p.enum ? 'enum' : (p.type === 'string' && p.format) ? p.format : (p.type || 'json');
      if (isRequired) {
        input.required = true;
        input.setAttribute('aria-required', 'true');
      }
      if (help.length) input.setAttribute('aria-describedby', helpId);
      box.appendChild(el('label', { for: id }, [name, isRequired ? el('span', { className: 'muted', text: ' (required)' }) : null]));
      box.appendChild(input);
      if (help.length) box.appendChild(el('p', { id: helpId, className: 'help', text: help.join(' ') }));
    });
  }

  $('tester-action').addEventListener('change', renderActionForm);

  // The RPC body from the form: empty fields are left out, values take the schema's types.
  function collectInput() {
    var body = {};
    var problems = [];
    Array.prototype.forEach.call($('tester-fields').querySelectorAll('input, select, textarea'), function (input) {
      var name = input.name;
      var raw = input.value.trim();
      input.removeAttribute('aria-invalid');
      if (raw === '') {
        if (input.required) {
          problems.push(name + ' is required.');
          input.setAttribute('aria-invalid', 'true');
        }
        return;
      }
      var kind = input.dataset.kind;
      if (kind === 'integer' || kind === 'number') {
        var n = Number(raw);
        if (!isFinite(n) || (kind === 'integer' && Math.floor(n) !== n)) {
          problems.push(name + ' must be ' + (kind === 'integer' ? 'a whole number.' : 'a number.'));
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        body[name] = n;
      } else if (kind === 'boolean') {
        body[name] = raw === 'true';
      } else if (kind === 'array') {
        body[name] = raw.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      } else if (kind === 'date-time') {
        var d = new Date(raw);
        if (isNaN(d.getTime())) {
          problems.push(name + ' is not a date and time.');
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        body[name] = d.toISOString().replace('.000Z', 'Z');
      } else if (kind === 'json') {
        try {
          body[name] = JSON.parse(raw);
        } catch (e) {
          problems.push(name + ' is not valid JSON.');
          input.setAttribute('aria-invalid', 'true');
        }
      } else {
        body[name] = raw;
      }
    });
    return { body: body, problems: problems };
  }

  $('tester-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var action = currentAction();
    if (!action) return;
    var input = collectInput();
    var error = $('tester-error');
    if (input.problems.length) {
      error.textContent = input.problems.join(' ');
      var bad = $('tester-fields').querySelector('[aria-invalid=true]');
      if (bad) bad.focus();
      return;
    }
    error.textContent = '';
    var button = $('tester-run');
    var started = performance.now();
    busy(button, true, 'Running…');
    announce('Running ' + action.id + '…');
    $('tester-result').textContent = '';
    $('tester-meta').textContent = '';
    api('POST', '/accounts/' + encodeURIComponent(state.current.id) + '/rpc',
      { action: action.id, body: input.body }).then(function (res) {
      var ms = Math.round(performance.now() - started);
      $('tester-result').textContent = JSON.stringify(res, null, 2);
      $('tester-meta').textContent = '200 · ' + ms + ' ms';
      announce(action.id + ' finished in ' + ms + ' milliseconds.');
    }).catch(function (err) {
      $('tester-result').textContent = JSON.stringify(err.body || { message: err.message }, null, 2);
      $('tester-meta').textContent = (err.status || 'no answer') + '';
      error.textContent = err.message;
      announce(action.id + ' failed: ' + err.message);
    }).then(function () { busy(button, false); });
  });

  // ------------------------------------------------------------------ logs

  // The door each call came through (the call log's `via`).
  var VIA_LABELS = { rpc: 'RPC API', mcp: 'MCP (agent)', proxy: 'Proxy', dashboard: 'Dashboard' };
  function loadLogs() {
    var a = state.current;
    var body = $('logs-body');
    announce('Loading logs…');
    return api('GET', '/accounts/' + encodeURIComponent(a.id) + '/logs?limit=200').then(function (res) {
      clear(body);
      res.data.forEach(function (c) {
        var ok = c.http_status >= 200 && c.http_status < 300;
        body.appendChild(el('tr', null, [
          el('td', null, [timeEl(c.at, true)]),
          el('td', { className: 'mono', text: c.endpoint }),
          el('td', { className: ok ? 'status-ok' : 'status-bad', text: c.http_status === 0 ? 'no answer' : String(c.http_status) }),
          el('td', { className: 'mono', text: c.error_code || '—' }),
          el('td', { className: 'mono', text: c.request_id || '—' }),
          el('td', { text: c.latency_ms.toFixed(c.latency_ms < 10 ? 1 : 0) + ' ms' }),
          el('td', {
            text: c.via ? (VIA_LABELS[c.via] || c.via) : '—',
            title: c.linkhub_request_id ? 'X-Request-Id: ' + c.linkhub_request_id : undefined,
          }),
        ]));
      });
      $('logs-empty').hidden = res.data.length > 0;
      announce(res.data.length + ' Plaid calls shown.');
    }).catch(function (err) { showError(err.message); });
  }
  $('logs-refresh').addEventListener('click', loadLogs);

  // ------------------------------------------------------------------ timeline

  function loadTimeline() {
    var a = state.current;
    var list = $('timeline-list');
    var seq = ++state.timelineLoads;
    announce('Loading the timeline…');
    list.setAttribute('aria-busy', 'true');
    return api('GET', '/accounts/' + encodeURIComponent(a.id) + '/timeline?limit=50').then(function (res) {
      if (seq !== state.timelineLoads) return;
      clear(list);
      res.data.forEach(function (t) {
        var when = timeEl(t.at, true);
        when.className = 'when';
        var detail = t.kind === 'event' && t.detail ? 'Event id ' + t.detail : t.detail;
        list.appendChild(el('li', { 'data-kind': t.kind }, [
          when,
          ' · ',
          el('span', { className: 'kind', text: TIMELINE_KINDS[t.kind] || t.kind }),
          el('span', { className: 'name mono', text: t.name }),
          detail ? el('span', { className: 'detail', text: detail }) : null,
        ]));
      });
      $('timeline-empty').hidden = res.data.length > 0;
      announce(plural(res.data.length, 'timeline entry', 'timeline entries') + ' shown.');
    }).catch(function (err) {
      if (seq === state.timelineLoads) showError('The timeline could not be loaded: ' + err.message);
    }).then(function () {
      if (seq === state.timelineLoads) list.removeAttribute('aria-busy');
    });
  }
  $('timeline-refresh').addEventListener('click', loadTimeline);

  // ------------------------------------------------------------------ link account

  // Link account; `again` ({origin_owner_id, origin_owner_name}) links the bank of an account
  // whose Item is gone again, for the same owner.
  function openLinkDialog(again) {
    $('link-result').hidden = true;
    $('link-error').textContent = '';
    $('link-title').textContent = again ? 'Link the bank again' : 'Link account';
    if (again) {
      $('link-owner-id').value = again.origin_owner_id;
      $('link-owner-name').value = again.origin_owner_name;
    }
    openDialog($('link-dialog'));
    $('link-owner-id').focus();
  }
  $('link-account').addEventListener('click', function () { openLinkDialog(null); });

  $('link-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var mode = e.submitter && e.submitter.value === 'now' ? 'now' : 'send';
    var error = $('link-error');
    var ownerId = $('link-owner-id').value.trim();
    var ownerName = $('link-owner-name').value.trim();
    var days = Number($('link-days').value || '5');
    var missing = [];
    [['link-owner-id', ownerId], ['link-owner-name', ownerName]].forEach(function (f) {
      if (f[1]) $(f[0]).removeAttribute('aria-invalid');
      else $(f[0]).setAttribute('aria-invalid', 'true');
      if (!f[1]) missing.push(f[0]);
    });
    if (missing.length) {
      error.textContent = 'Enter the owner\'s id and name.';
      $(missing[0]).focus();
      return;
    }
    if (!(days >= 1 && days <= 30)) {
      error.textContent = 'A link is valid for 1 to 30 days.';
      $('link-days').focus();
      return;
    }
    error.textContent = '';
    var button = e.submitter;
    busy(button, true, mode === 'now' ? 'Opening the Hub…' : 'Creating the link…');
    api('POST', '/connect_sessions', {
      origin_owner_id: ownerId,
      origin_owner_name: ownerName,
      multiple: $('link-multiple').checked,
      // Link now: the Hub opens here and then, so the session needs only to outlive Link.
      expires_in: mode === 'now' ? 3600 : Math.round(days * 86400),
    }).then(function (link) {
      if (mode === 'now') {
        closeDialog($('link-dialog'));
        openHub(link.auth_link_url);
        return;
      }
      $('link-url').value = link.auth_link_url;
      $('link-expiry').textContent = 'Valid until ' + formatTime(link.expires_at) + '.';
      $('link-result').hidden = false;
      $('link-url').focus();
      $('link-url').select();
      announce('Link ready: copy it and send it to the end user.');
    }).catch(function (err) {
      error.textContent = err.message;
    }).then(function () { busy(button, false); });
  });

  function openHub(url) {
    var frame = $('hub-frame');
    frame.setAttribute('referrerpolicy', 'same-origin');
    frame.setAttribute('src', url);
    openDialog($('hub-dialog'));
    announce('The Hub is open: link a bank account.');
  }

  // The Hub page tells its parent what happened (docs/hub.md): only our own origin is heard.
  window.addEventListener('message', function (e) {
    var frame = $('hub-frame');
    if (e.origin !== window.location.origin || e.source !== frame.contentWindow) return;
    var msg = e.data || {};
    if (msg.source !== HUB_SOURCE) return;
    if (msg.type === 'success') {
      closeDialog($('hub-dialog'));
      closeDialog($('account-dialog'));  // after Link the bank again: the new account is listed
      state.page = 1;
      loadAccounts('Account ' + (msg.id || '') + ' linked.');
    } else if (msg.type === 'close') {
      closeDialog($('hub-dialog'));
      loadAccounts();
    }
  });

  // ------------------------------------------------------------------ webhooks

  function webhookPath(w, suffix) {
    return '/webhooks/' + encodeURIComponent(w.id) + (suffix || '');
  }

  function loadWebhooks(done) {
    var seq = ++state.webhookLoads;
    if (!done) announce('Loading webhook endpoints…');
    $('webhooks-table').setAttribute('aria-busy', 'true');
    return api('GET', '/webhooks').then(function (res) {
      if (seq !== state.webhookLoads) return;
      state.webhooks = res.data;
      renderWebhooks();
      var n = res.failing || 0;
      $('webhooks-failing').hidden = n === 0;
      $('failing-notice').hidden = n === 0;
      $('failing-summary').textContent = n ? failingText(n) : '';
      $('webhooks-failing-summary').textContent = n ? failingText(n) + ' linkhub keeps trying, and one ' +
        'delivery that succeeds heals it: check the URL and your receiver, then retry the failed deliveries.' : '';
      var count = res.data.length === 0 ? 'No endpoints.' : plural(res.data.length, 'endpoint', 'endpoints') + '.';
      announce(done ? done + ' ' + count : count);
    }).catch(function (err) {
      if (seq === state.webhookLoads && err.status !== 401) showError('The webhook endpoints could not be loaded: ' + err.message);
    }).then(function () {
      if (seq === state.webhookLoads) $('webhooks-table').removeAttribute('aria-busy');
    });
  }

  function rowButton(text, label, key, onClick, className) {
    var b = el('button', { type: 'button', text: text, 'aria-label': label, 'data-focus-key': key, className: className });
    b.addEventListener('click', function () { onClick(b); });
    return b;
  }

  function renderWebhooks() {
    var key = focusedKey();
    var body = $('webhooks-body');
    clear(body);
    var now = Date.now();
    state.webhooks.forEach(function (w) {
      var health = [el('span', { className: 'badge ' + w.status, text: w.status })];
      if (w.status === 'failing') {
        health.push(el('div', { className: 'reason' }, w.failing_since
          ? ['Every delivery has failed since ', timeEl(w.failing_since), '.']
          : ['Every delivery has failed for a day.']));
      }
      if (w.previous_secret_expires_at && Date.parse(w.previous_secret_expires_at) > now) {
        health.push(el('div', { className: 'reason' },
          ['The previous secret also signs until ', timeEl(w.previous_secret_expires_at), '.']));
      }
      body.appendChild(el('tr', { 'data-webhook-id': w.id }, [
        el('td', { 'data-label': 'Endpoint' }, [
          el('div', { className: 'primary-line mono', text: w.url }),
          el('div', { className: 'secondary-line mono', text: w.id }),
        ]),
        el('td', { 'data-label': 'Events', text: w.events && w.events.length ? w.events.join(', ') : 'Every event' }),
        el('td', { 'data-label': 'Health' }, health),
        el('td', { 'data-label': 'Created' }, [timeEl(w.created_at)]),
        el('td', null, [el('div', { className: 'row-actions' }, [
          rowButton('Recent deliveries', 'Recent deliveries to ' + w.url, 'deliveries:' + w.id,
            function () { openDeliveries(w); }),
          rowButton('Rotate secret', 'Rotate secret of ' + w.url, 'rotate:' + w.id,
            function (b) { rotateSecret(w, b); }),
          rowButton('Delete…', 'Delete endpoint ' + w.url + '…', 'delete-webhook:' + w.id,
            function () { askDeleteWebhook(w); }, 'danger'),
        ])]),
      ]));
    });
    $('webhooks-empty').hidden = state.webhooks.length > 0;
    refocus(key);
  }

  // A secret, shown this once: it is in the page until the operator is done with it, and nowhere
  // else (never in web storage).
  // `back`: the focus key of what takes the focus when the operator is done with it.
  function showSecret(w, rotated, back) {
    $('secret-label').textContent = (rotated ? 'New signing secret of ' : 'Signing secret of ') + w.url;
    $('secret-value').value = w.secret;
    var note = $('secret-note');
    clear(note);
    note.appendChild(document.createTextNode('Copy it now and keep it with your receiver: it will not be shown again. '));
    if (rotated) {
      note.appendChild(document.createTextNode('The old secret keeps signing beside it for 24 hours'));
      if (w.previous_secret_expires_at) {
        note.appendChild(document.createTextNode(' (until '));
        note.appendChild(timeEl(w.previous_secret_expires_at));
        note.appendChild(document.createTextNode(')'));
      }
      note.appendChild(document.createTextNode(', so switch your receiver over before then.'));
    } else {
      note.appendChild(document.createTextNode('Each delivery is signed with it (Standard Webhooks and x-stackone-signature).'));
    }
    $('secret-result').dataset.webhook = w.id;
    $('secret-result').dataset.back = back || '';
    $('secret-result').hidden = false;
    $('secret-value').focus();
    $('secret-value').select();
  }

  function hideSecret() {
    $('secret-value').value = '';
    $('secret-result').hidden = true;
    delete $('secret-result').dataset.webhook;
    delete $('secret-result').dataset.back;
  }

  $('secret-done').addEventListener('click', function () {
    var back = byFocusKey($('secret-result').dataset.back);
    hideSecret();
    announce('The secret is no longer shown.');
    (back || $('webhooks-title')).focus();
  });

  $('webhook-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = this;
    var input = $('webhook-url');
    var error = $('webhook-error');
    var url = input.value.trim();
    var ok = false;
    try {
      var parsed = new URL(url);
      ok = parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch (err) { ok = false; }
    if (!ok) {
      error.textContent = url ? 'Enter a whole URL, starting with https://.' : 'Enter the endpoint\'s URL.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    error.textContent = '';
    showError('');
    var events = Array.prototype.map.call(form.querySelectorAll('input[name=events]:checked'), function (c) { return c.value; });
    var button = $('webhook-create');
    busy(button, true, 'Adding…');
    announce('Adding the endpoint…');
    api('POST', '/webhooks', { url: url, events: events }).then(function (w) {
      form.reset();
      showSecret(w, false, 'webhook-url');
      return loadWebhooks('Endpoint added: copy its secret now, it will not be shown again.');
    }).catch(function (err) {
      if (err.status === 400 || err.status === 403) input.setAttribute('aria-invalid', 'true');
      showError('The endpoint was not added: ' + err.message);
    }).then(function () { busy(button, false); });
  });

  function rotateSecret(w, button) {
    showError('');
    busy(button, true, 'Rotating…');
    announce('Rotating the secret…');
    api('POST', webhookPath(w, '/rotate_secret')).then(function (rotated) {
      showSecret(rotated, true, 'rotate:' + w.id);
      return loadWebhooks('New secret ready: copy it now, it will not be shown again. The old one signs for 24 more hours.');
    }).catch(function (err) {
      showError('The secret was not rotated: ' + err.message);
    }).then(function () { busy(button, false); });
  }

  function askDeleteWebhook(w) {
    state.webhookToDelete = w;
    $('webhook-confirm-text').textContent = 'linkhub stops sending events to ' + w.url + ' (' + w.id +
      '), pending deliveries included, and forgets its secret. This cannot be undone.';
    openDialog($('webhook-confirm-dialog'));
    $('webhook-confirm-cancel').focus();
  }

  $('webhook-confirm-delete').addEventListener('click', function () {
    var button = this;
    var w = state.webhookToDelete;
    if (!w) return;
    busy(button, true, 'Deleting…');
    announce('Deleting the endpoint…');
    api('DELETE', webhookPath(w)).then(function () {
      closeDialog($('webhook-confirm-dialog'));
      state.webhookToDelete = null;
      if ($('secret-result').dataset.webhook === w.id) hideSecret();
      if (state.deliveriesFor && state.deliveriesFor.id === w.id) hideDeliveries();
      return loadWebhooks('Endpoint ' + w.id + ' deleted.').then(function () { $('webhooks-title').focus(); });
    }).catch(function (err) {
      closeDialog($('webhook-confirm-dialog'));
      showError('The endpoint was not deleted: ' + err.message);
    }).then(function () { busy(button, false); });
  });

  // ------------------------------------------------------------------ deliveries

  function hideDeliveries() {
    state.deliveriesFor = null;
    state.deliveries = [];
    window.clearTimeout(state.deliveryRefresh);
    clear($('deliveries-body'));
    $('deliveries').hidden = true;
  }

  function openDeliveries(w) {
    showError('');
    state.deliveriesFor = w;
    state.deliveries = [];
    window.clearTimeout(state.deliveryRefresh);
    clear($('deliveries-body'));
    $('deliveries-empty').hidden = true;
    $('deliveries-title').textContent = 'Recent deliveries to ' + w.url;
    $('deliveries-caption').textContent = 'Deliveries to ' + w.url + ', newest first';
    $('deliveries').hidden = false;
    $('deliveries-title').focus();
    return loadDeliveries();
  }

  // `quiet`: a refresh nobody asked for (after a retry) announces nothing.
  function loadDeliveries(done, quiet) {
    var w = state.deliveriesFor;
    if (!w) return Promise.resolve();
    var seq = ++state.deliveryLoads;
    if (!done && !quiet) announce('Loading deliveries…');
    $('deliveries-table').setAttribute('aria-busy', 'true');
    return api('GET', webhookPath(w, '/deliveries?limit=25')).then(function (res) {
      if (seq !== state.deliveryLoads || state.deliveriesFor !== w) return;
      state.deliveries = res.data;
      renderDeliveries();
      var count = res.data.length === 0 ? 'No deliveries yet.' : plural(res.data.length, 'delivery', 'deliveries') + ' shown.';
      if (!quiet) announce(done ? done + ' ' + count : count);
    }).catch(function (err) {
      if (seq === state.deliveryLoads && err.status !== 401) showError('The deliveries could not be loaded: ' + err.message);
    }).then(function () {
      if (seq === state.deliveryLoads) $('deliveries-table').removeAttribute('aria-busy');
    });
  }
  $('deliveries-refresh').addEventListener('click', function () { loadDeliveries(); });

  function attemptText(t) {
    var parts = [t.status_code ? 'HTTP ' + t.status_code : 'no answer'];
    if (typeof t.latency_ms === 'number') parts.push(t.latency_ms + ' ms');
    if (t.error) parts.push(t.error);
    return parts.join(' · ');
  }

  function attemptsCell(d) {
    var attempts = (d.attempts || []).slice().sort(function (x, y) { return Date.parse(x.at) - Date.parse(y.at); });
    var n = Math.max(d.attempt_count || 0, attempts.length);
    var cell = [el('div', { text: n === 0 ? 'Not tried yet' : plural(n, 'attempt', 'attempts') })];
    var last = attempts[attempts.length - 1];
    if (last) cell.push(el('div', { className: 'secondary-line', text: 'Last: ' + attemptText(last) }));
    if (attempts.length > 1) {
      var list = el('ol', { className: 'attempts' });
      attempts.forEach(function (t) {
        list.appendChild(el('li', null, [timeEl(t.at, true), ' · ' + attemptText(t)]));
      });
      cell.push(el('details', { className: 'attempt-list' }, [el('summary', { text: 'Every attempt' }), list]));
    }
    return cell;
  }

  function renderDeliveries() {
    var key = focusedKey();
    var body = $('deliveries-body');
    clear(body);
    state.deliveries.forEach(function (d) {
      var stateCell = [el('span', { className: 'badge ' + d.state, text: d.state })];
      if (d.delivered_at) stateCell.push(el('div', { className: 'secondary-line' }, ['Delivered ', timeEl(d.delivered_at, true)]));
      else if (d.state === 'pending' && d.next_attempt_at) {
        stateCell.push(el('div', { className: 'secondary-line' }, ['Next attempt ', timeEl(d.next_attempt_at, true)]));
      }
      body.appendChild(el('tr', { 'data-delivery-id': d.id }, [
        el('td', { 'data-label': 'Time' }, [timeEl(d.created_at, true)]),
        el('td', { 'data-label': 'Event' }, [
          el('div', { className: 'primary-line mono', text: d.event }),
          el('div', { className: 'secondary-line mono', text: d.event_id }),
        ]),
        el('td', { 'data-label': 'Account', className: 'mono', text: d.account_id || '—' }),
        el('td', { 'data-label': 'State' }, stateCell),
        el('td', { 'data-label': 'Attempts' }, attemptsCell(d)),
        el('td', null, [rowButton('Retry', 'Retry delivery of ' + d.event + ' ' + d.event_id, 'retry:' + d.id,
          function (b) { retryDelivery(d, b); })]),
      ]));
    });
    $('deliveries-empty').hidden = state.deliveries.length > 0;
    refocus(key);
  }

  function retryDelivery(d, button) {
    var w = state.deliveriesFor;
    if (!w) return;
    showError('');
    busy(button, true, 'Retrying…');
    announce('Sending the delivery again…');
    api('POST', webhookPath(w, '/deliveries/' + encodeURIComponent(d.id) + '/retry')).then(function (queued) {
      if (state.deliveriesFor !== w) return;
      state.deliveries = state.deliveries.map(function (x) { return x.id === queued.id ? queued : x; });
      renderDeliveries();
      announce('Delivery ' + queued.id + ' queued: linkhub sends it again now, with the same webhook-id.');
      refreshAfterRetry(w, queued.id, 3);
    }).catch(function (err) {
      showError('The delivery was not retried: ' + err.message);
    }).then(function () { busy(button, false); });
  }

  // After a retry the list is read again a few times, until the delivery is no longer pending.
  function refreshAfterRetry(w, id, left) {
    window.clearTimeout(state.deliveryRefresh);
    state.deliveryRefresh = window.setTimeout(function () {
      if (state.deliveriesFor !== w) return;
      loadDeliveries(null, true).then(function () {
        var d = state.deliveries.filter(function (x) { return x.id === id; })[0];
        if (d && d.state === 'pending' && left > 1) refreshAfterRetry(w, id, left - 1);
        else if (d) announce('Delivery ' + id + ': ' + d.state + ' after ' + plural(d.attempt_count, 'attempt', 'attempts') + '.');
      });
    }, 1200);
  }

  // ------------------------------------------------------------------ start

  api('GET', '/session').then(signedIn, function (err) {
    if (err.status === 401) signedOut('');
    else {
      showView('sign-in');
      showError(err.message);
    }
  });
})();
