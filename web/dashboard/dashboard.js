/*
 * linkhub's operator dashboard: the Accounts page. Talks only to /dashboard/api/* on this
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
    opener: null,    // what had focus before a dialog opened
    loads: 0,        // the latest list request: older answers are dropped
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
    state.opener = document.activeElement;
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
      copyText(input.value, 'Link');
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll('dialog'), function (d) {
    d.addEventListener('close', function () {
      if (d.id === 'hub-dialog') $('hub-frame').removeAttribute('src');
      var back = state.opener;
      state.opener = null;
      if (back && !document.contains(back) && back.dataset && back.dataset.account) {
        // The row was drawn again meanwhile: its new Manage button takes the focus.
        back = document.querySelector('#accounts-body button[data-account="' + back.dataset.account + '"]');
      }
      if (back && document.contains(back) && typeof back.focus === 'function') back.focus();
    });
  });

  // ------------------------------------------------------------------ session

  function showView(name) {
    $('loading').hidden = true;
    $('sign-in-view').hidden = name !== 'sign-in';
    $('accounts-view').hidden = name !== 'accounts';
    $('sign-out').hidden = name !== 'accounts';
  }

  function signedIn(session) {
    state.csrf = session.csrf_token;
    state.project = session.project;
    $('project-name').textContent = session.project ? session.project.name : '';
    document.title = 'Accounts · ' + (session.project ? session.project.name + ' · ' : '') + 'linkhub';
    showView('accounts');
    loadOrphans();
    return loadAccounts();
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
      return signedIn(session).then(function () { $('accounts-title').focus(); });
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

  function statusCell(a) {
    var cell = [el('span', { className: 'badge ' + a.status, text: a.status })];
    var reason = a.status_reasons && a.status_reasons[0];
    if (reason && reason.description) {
      cell.push(el('div', { className: 'reason', text: reason.description }));
    }
    return cell;
  }

  function institutionOf(a) {
    return (a.plaid && a.plaid.institution_name) || 'Bank not known yet';
  }

  function renderAccounts() {
    var body = $('accounts-body');
    clear(body);
    state.accounts.forEach(function (a) {
      var products = (a.plaid && a.plaid.products) || [];
      var manage = el('button', { type: 'button', 'data-account': a.id, text: 'Manage',
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
    $('relink').classList.toggle('primary', a.status === 'error');
    if (changed) {
      // Keep the account's row in the list in step.
      state.accounts = state.accounts.map(function (x) { return x.id === a.id ? a : x; });
      renderAccounts();
    }
  }

  function selectTab(id) {
    ['overview', 'tester', 'logs'].forEach(function (name) {
      var tab = $('tab-' + name);
      var on = name === id;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + name).hidden = !on;
    });
    if (id === 'tester' && state.actions.length === 0) loadActions();
    if (id === 'logs') loadLogs();
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
  $('delete').addEventListener('click', function () {
    var a = state.current;
    $('confirm-text').textContent = 'The ' + institutionOf(a) + ' account of ' + a.origin_owner_name +
      ' (' + a.id + ') will be removed at Plaid and deleted here. This cannot be undone.';
    $('confirm-dialog').showModal();
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
        ]));
      });
      $('logs-empty').hidden = res.data.length > 0;
      announce(res.data.length + ' Plaid calls shown.');
    }).catch(function (err) { showError(err.message); });
  }
  $('logs-refresh').addEventListener('click', loadLogs);

  // ------------------------------------------------------------------ link account

  $('link-account').addEventListener('click', function () {
    $('link-result').hidden = true;
    $('link-error').textContent = '';
    openDialog($('link-dialog'));
    $('link-owner-id').focus();
  });

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
      state.page = 1;
      loadAccounts('Account ' + (msg.id || '') + ' linked.');
    } else if (msg.type === 'close') {
      closeDialog($('hub-dialog'));
      loadAccounts();
    }
  });

  // ------------------------------------------------------------------ start

  api('GET', '/session').then(signedIn, function (err) {
    if (err.status === 401) signedOut('');
    else {
      showView('sign-in');
      showError(err.message);
    }
  });
})();
