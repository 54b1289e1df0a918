// GET /metrics: Prometheus' text format, read here by a Prometheus text parser. Real traffic (a
// link, actions, a Plaid error, a miss) moves the counters it should, by exactly what was sent;
// series are labelled with route patterns and Plaid endpoints, never with an id or a path as
// received; --metrics-token (or LINKHUB_METRICS_TOKEN) makes the scrape need a Bearer token.
//
// Run: node --test tests/node/metrics.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, createProject, call, linkAccount } from './lib/hub.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu?.stop(); });

async function scrape(hub, headers = {}) {
  const res = await fetch(`${hub.url}/metrics`, { headers });
  const text = await res.text();
  return { res, text };
}

// Every sample line as {name, labels, value}, read with the format's grammar (label values are
// quoted with \\, \" and \n escapes).
function samples(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    assert.ok(m, `not a sample line: ${line}`);
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

// The families by name, as the Prometheus text parser reads them (HELP, TYPE, series), with the
// sample lines beside them (the parser folds a labelled histogram's series into one).
function parse(text) {
  const families = new Map();
  for (const f of parsePrometheusTextFormat(text)) families.set(f.name, f);
  families.samples = samples(text);
  // A histogram's buckets never fall as `le` grows, and +Inf is its count.
  const byKey = new Map();
  for (const s of families.samples.filter((x) => x.name.endsWith('_bucket'))) {
    const { le, ...rest } = s.labels;
    const key = s.name + JSON.stringify(rest);
    const prev = byKey.get(key) ?? -1;
    assert.ok(s.value >= prev, `${key} le=${le} falls`);
    byKey.set(key, s.value);
  }
  return families;
}

// The value of the series of `name` whose labels include `labels` (0 when there is none); for a
// histogram, its count.
function value(families, name, labels = {}) {
  const f = families.get(name);
  assert.ok(f, `no family ${name}`);
  const sampleName = f.type === 'HISTOGRAM' ? `${name}_count` : name;
  const s = families.samples.find((m) => m.name === sampleName &&
    Object.entries(labels).every(([k, v]) => m.labels[k] === v));
  return s ? s.value : 0;
}

test('the families are there from the start, with HELP, TYPE and Prometheus names', async (t) => {
  const hub = await startHub(emu);
  t.after(() => hub.stop());
  const { res, text } = await scrape(hub);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const families = parse(text);
  const expected = {
    linkhub_http_requests_total: 'COUNTER',
    linkhub_http_request_duration_seconds: 'HISTOGRAM',
    linkhub_http_open_connections: 'GAUGE',
    linkhub_http_queued_requests: 'GAUGE',
    linkhub_plaid_admission_waiting: 'GAUGE',
    linkhub_plaid_requests_total: 'COUNTER',
    linkhub_plaid_request_duration_seconds: 'HISTOGRAM',
    linkhub_exchanges_total: 'COUNTER',
    linkhub_cache_lookups_total: 'COUNTER',
    linkhub_rate_limited_total: 'COUNTER',
    linkhub_db_lock_contended_wait_seconds: 'HISTOGRAM',
    linkhub_db_transaction_duration_seconds: 'HISTOGRAM',
    process_resident_memory_bytes: 'GAUGE',
    process_open_fds: 'GAUGE',
    process_cpu_seconds_total: 'COUNTER',
    process_start_time_seconds: 'GAUGE',
  };
  for (const [name, type] of Object.entries(expected)) {
    assert.equal(families.get(name)?.type, type, name);
    assert.ok(families.get(name).help.length > 10, `${name} has a help text`);
  }
  assert.ok(value(families, 'process_resident_memory_bytes') > 1 << 20);
  assert.ok(value(families, 'process_open_fds') > 3);
  const started = value(families, 'process_start_time_seconds');
  assert.ok(Math.abs(started - Date.now() / 1000) < 3600, `start time ${started}`);
  // The scrape's own connection is open while the text is made.
  assert.ok(value(families, 'linkhub_http_open_connections') >= 1);
});

test('real traffic moves the counters by what was sent, labelled by pattern, never by id', async (t) => {
  const hub = await startHub(emu, { args: ['--rate-limit-per-key', '0'] });
  t.after(() => hub.stop());
  const project = await createProject(hub);
  const key = project.api_key;
  const before = parse((await scrape(hub)).text);
  const account = await linkAccount(hub, emu, key);

  const rpc = (action) => call(hub, 'POST', '/actions/rpc', {
    key, headers: { 'x-account-id': account.id }, body: { action },
  });
  for (let i = 0; i < 3; i++) assert.equal((await rpc('plaid_get_item')).status, 200);
  assert.equal((await call(hub, 'GET', `/accounts/${account.id}`, { key })).status, 200);
  assert.equal((await call(hub, 'GET', `/no/such/${account.id}`, { key })).status, 404);
  // Plaid refuses the next /accounts/get: its error_code becomes the series' label.
  await emu.control('POST', '/emulator/faults', {
    endpoint: '/accounts/get', count: 1, error_code: 'ITEM_LOGIN_REQUIRED', error_type: 'ITEM_ERROR', http_status: 400,
  });
  const refused = await rpc('plaid_list_accounts');
  assert.equal(refused.status, 409, JSON.stringify(refused.body));

  const { text } = await scrape(hub);
  const now = parse(text);
  const delta = (name, labels) => value(now, name, labels) - value(before, name, labels);

  const rpcOk = { route: '/actions/rpc', method: 'POST', status: '200' };
  assert.equal(delta('linkhub_http_requests_total', rpcOk), 3);
  assert.equal(delta('linkhub_http_requests_total', { route: '/actions/rpc', method: 'POST', status: '409' }), 1);
  assert.equal(delta('linkhub_http_requests_total', { route: '/accounts/{id}', method: 'GET', status: '200' }), 1);
  assert.equal(delta('linkhub_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1);
  assert.equal(delta('linkhub_http_requests_total', { route: '/hub/accounts', method: 'POST', status: '201' }), 1);
  // The histogram counts each answered request once.
  assert.equal(delta('linkhub_http_request_duration_seconds', { route: '/actions/rpc', method: 'POST' }), 4);

  assert.equal(delta('linkhub_exchanges_total', { outcome: 'linked' }), 1);
  assert.equal(delta('linkhub_plaid_requests_total', { endpoint: '/item/public_token/exchange', status: '200', error_code: 'none' }), 1);
  assert.equal(delta('linkhub_plaid_requests_total', { endpoint: '/item/get', status: '200', error_code: 'none' }) >= 3, true);
  assert.equal(delta('linkhub_plaid_requests_total', { endpoint: '/accounts/get', status: '400', error_code: 'ITEM_LOGIN_REQUIRED' }), 1);
  assert.ok(delta('linkhub_plaid_request_duration_seconds', { endpoint: '/item/get' }) >= 3);
  // Repeated calls of one key are answered from the key cache.
  assert.ok(delta('linkhub_cache_lookups_total', { cache: 'api_key', result: 'hit' }) >= 1);
  // The link wrote (connect session, exchange, account) inside transactions.
  assert.ok(delta('linkhub_db_transaction_duration_seconds', {}) >= 2);

  // Series never hold an id, a key or a path as received.
  for (const secretish of [account.id, key, project.project_id, '/no/such']) {
    assert.ok(!text.includes(secretish), `the metrics hold ${secretish}`);
  }
});

test('a 429 of a rate limit is counted by limit', async (t) => {
  const hub = await startHub(emu, { args: ['--rate-limit-per-key', '2'] });
  t.after(() => hub.stop());
  const { api_key: key } = await createProject(hub);
  for (let i = 0; i < 2; i++) assert.equal((await call(hub, 'GET', '/accounts', { key })).status, 200);
  assert.equal((await call(hub, 'GET', '/accounts', { key })).status, 429);
  const families = parse((await scrape(hub)).text);
  assert.equal(value(families, 'linkhub_rate_limited_total', { limit: 'key' }), 1);
  assert.equal(value(families, 'linkhub_http_requests_total', { route: '/accounts', method: 'GET', status: '429' }), 1);
});

test('--metrics-token: the scrape needs the Bearer token; the token is never logged', async (t) => {
  const token = 'metrics-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const hub = await startHub(emu, { args: ['--metrics-token', token] });
  t.after(() => hub.stop());
  const missing = await scrape(hub);
  assert.equal(missing.res.status, 401);
  assert.match(missing.res.headers.get('www-authenticate'), /^Bearer realm=/);
  const body = JSON.parse(missing.text);
  assert.equal(body.statusCode, 401);
  assert.match(body.message, /--metrics-token/);
  const wrong = await scrape(hub, { Authorization: `Bearer ${token}x` });
  assert.equal(wrong.res.status, 401);
  assert.ok(!wrong.text.includes(token));
  const right = await scrape(hub, { Authorization: `Bearer ${token}` });
  assert.equal(right.res.status, 200);
  assert.ok(parse(right.text).has('linkhub_http_requests_total'));
  // The refused scrapes are counted like any request.
  assert.equal(value(parse(right.text), 'linkhub_http_requests_total', { route: '/metrics', method: 'GET', status: '401' }), 2);
  await hub.stop();
  assert.ok(!hub.stderr().includes(token) && !hub.stdout().includes(token), 'the token is in the log');
});

test('LINKHUB_METRICS_TOKEN protects the scrape as the flag does', async (t) => {
  const token = 'env-' + Math.random().toString(36).slice(2);
  const hub = await startHub(emu, { env: { LINKHUB_METRICS_TOKEN: token } });
  t.after(() => hub.stop());
  assert.equal((await scrape(hub)).res.status, 401);
  assert.equal((await scrape(hub, { Authorization: `Bearer ${token}` })).res.status, 200);
});
