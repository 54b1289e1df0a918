// A minimal "customer app": creates Plaid Link with the link_token the test put in the URL
// (or, on the OAuth return page, the one it stored before leaving) and records callbacks.
(function () {
  'use strict';
  const R = (window.__results = { loaded: false, events: [], log: [], success: null, exit: null });
  // The names seen on earlier pages of this tab (the OAuth redirect navigates away).
  R.previousLog = JSON.parse(sessionStorage.getItem('linkLog') || '[]');
  function log(entry) {
    R.log.push(entry);
    sessionStorage.setItem('linkLog', JSON.stringify(R.previousLog.concat(R.log)));
  }
  const status = (text) => { document.getElementById('status').textContent = text; };

  const params = new URLSearchParams(window.location.search);
  const isOAuthReturn = window.location.pathname === '/oauth-return';
  let token = params.get('token');
  if (token) {
    localStorage.setItem('linkToken', token);
    sessionStorage.removeItem('linkLog');
    R.previousLog = [];
  } else {
    token = localStorage.getItem('linkToken');
  }

  const config = {
    token,
    onSuccess(publicToken, metadata) {
      log('onSuccess');
      R.success = { public_token: publicToken, metadata };
      status('Connected ' + (metadata.institution ? metadata.institution.name : 'an account'));
    },
    onExit(error, metadata) {
      log('onExit');
      R.exit = { error, metadata };
      status(error ? 'Link exited: ' + error.error_code : 'Link closed');
    },
    onEvent(name, metadata) {
      log('event:' + name + (name === 'TRANSITION_VIEW' ? ':' + metadata.view_name : ''));
      R.events.push({ name, metadata });
    },
    onLoad() {
      log('onLoad');
      R.loaded = true;
      document.getElementById('connect').disabled = false;
      if (isOAuthReturn) handler.open();
    },
  };
  if (isOAuthReturn) {
    document.getElementById('heading').textContent = 'Finishing up with your bank';
    config.receivedRedirectUri = window.location.href;
  }
  const handler = window.Plaid.create(config);
  window.__handler = handler;
  document.getElementById('connect').addEventListener('click', () => handler.open());
})();
