// --log-format json: every line linkhub writes is one JSON object with time, level and message,
// the line's key=value words as fields (`rid` as request_id); the access line of a request carries
// the X-Request-Id it was sent with, and the Plaid call it made is its own line. No line holds the
// API key, an access token or the Plaid secret. The text format keeps the same words.
//
// Run: node --test tests/node/log_format.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, DEMO_SECRET } from './lib/emulator.mjs';
import { startHub, createProject, call, poll, linkAccount } from './lib/hub.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu?.stop(); });

function lines(hub) {
  return hub.stderr().split('\n').filter((l) => l.length > 0);
}

test('json: one object per line, with the request id and the fields of the line', async (t) => {
  const hub = await startHub(emu, { args: ['--log-format', 'json', '--log-level', 'info'] });
  t.after(() => hub.stop());
  const project = await createProject(hub);
  const account = await linkAccount(hub, emu, project.api_key);
  const rid = `logs-${process.pid}-${Date.now()}`;
  const res = await call(hub, 'POST', '/actions/rpc', {
    key: project.api_key, headers: { 'x-account-id': account.id, 'X-Request-Id': rid },
    body: { action: 'plaid_list_accounts' },
  });
  assert.equal(res.status, 200);

  const access = await poll(() => lines(hub).map((l) => JSON.parse(l))
    .find((o) => o.request_id === rid && o.path === '/actions/rpc'));
  assert.ok(access, `no access line for ${rid}:\n${hub.stderr().slice(-3000)}`);
  assert.equal(access.level, 'info');
  assert.equal(access.method, 'POST');
  assert.equal(access.status, '200');
  assert.match(access.ms, /^\d+\.\d$/);
  assert.match(access.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(access.message.includes(`rid=${rid}`), access.message);

  const parsed = [];
  for (const line of lines(hub)) {
    let o;
    assert.doesNotThrow(() => { o = JSON.parse(line); }, `not JSON: ${line}`);
    assert.equal(typeof o.time, 'string', line);
    assert.equal(typeof o.level, 'string', line);
    assert.equal(typeof o.message, 'string', line);
    parsed.push(o);
  }
  const plaid = parsed.find((o) => o.endpoint === '/accounts/get');
  assert.ok(plaid, 'the Plaid call is logged');
  assert.equal(plaid.status, '200');
  assert.ok(plaid.plaid_request_id && plaid.plaid_request_id !== rid, 'Plaid\'s request id has its own name');

  const everything = hub.stderr();
  assert.ok(!everything.includes(project.api_key), 'the API key is never logged');
  assert.ok(!everything.includes(DEMO_SECRET), 'the Plaid secret is never logged');
  assert.ok(!/access-sandbox-[0-9a-f-]{8,}/.test(everything), 'no access token is logged');
});

test('text: the same words, not JSON', async (t) => {
  const hub = await startHub(emu, { args: ['--log-level', 'info'] });
  t.after(() => hub.stop());
  const rid = `text-${process.pid}-${Date.now()}`;
  const res = await call(hub, 'GET', '/healthz', { headers: { 'X-Request-Id': rid } });
  assert.equal(res.status, 200);
  const line = await poll(() => lines(hub).find((l) => l.includes(`rid=${rid}`)));
  assert.ok(line, hub.stderr().slice(-2000));
  assert.ok(line.includes('method=GET path=/healthz status=200'), line);
  assert.throws(() => JSON.parse(line));
});
