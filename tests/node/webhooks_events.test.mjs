// After the link: Plaid's webhooks in (verified, kept, applied once), the account status machine
// (each row of hub/account_status.h's table, end to end), and signed events out to the
// customer's endpoints, verified with the official `standardwebhooks` package and with a
// hand-written check of `x-stackone-signature`. Everything against the real emulator and a real
// receiver on loopback.
//
// Run: node --test tests/node/webhooks_events.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import { Webhook } from 'standardwebhooks';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import {
  startHub, admin, createProject, call, connectSession, sandboxPublicToken, poll, hubTestBinary,
  executable,
} from './lib/hub.mjs';
import { startWebhookReceiver } from './lib/webhooks.mjs';

// A receiver of linkhub's events: records every request; `answer(rec)` decides the status
// (200 unless it says otherwise).
async function startEventReceiver() {
  const received = [];
  let answer = () => 200;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json;
      try { json = JSON.parse(rawBody); } catch { json = undefined; }
      const rec = { path: req.url, headers: req.headers, rawBody, json };
      received.push(rec);
      res.writeHead(answer(rec), { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    url: (p) => base + p,
    received,
    setAnswer(f) { answer = f; },
    // The recorded requests to `path` matching `pred`, once there are `count` of them.
    async waitFor(path, pred, count = 1, ms = 10000) {
      const hits = await poll(() => {
        const h = received.filter((r) => r.path === path && pred(r.json ?? {}, r));
        return h.length >= count ? h : null;
      }, ms, 20);
      if (!hits) {
        throw new Error(`fewer than ${count} matching events at ${path}; got ` +
          JSON.stringify(received.filter((r) => r.path === path).map((r) => [r.json?.event, r.json?.status,
            r.json?.status_reasons?.map((x) => x.code)])));
      }
      return hits;
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

// The hand-written check of StackOne's signature: base64url(HMAC-SHA256(secret, raw body)).
function stackoneSignatureOk(secret, rec) {
  const want = Buffer.from(crypto.createHmac('sha256', secret).update(rec.rawBody).digest('base64url'));
  const got = Buffer.from(String(rec.headers['x-stackone-signature'] ?? ''));
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

function verifyEvent(secret, rec) {
  // Throws unless the Standard Webhooks signature verifies (and the timestamp is fresh).
  const payload = new Webhook(secret).verify(rec.rawBody, {
    'webhook-id': rec.headers['webhook-id'],
    'webhook-timestamp': rec.headers['webhook-timestamp'],
    'webhook-signature': rec.headers['webhook-signature'],
  });
  assert.ok(stackoneSignatureOk(secret, rec), 'x-stackone-signature does not verify');
  assert.equal(rec.headers['webhook-id'], rec.json.event_id);
  return payload;
}

let emu;
let hub;
let receiver;
let project;
let endpoint;   // POST /webhooks answer (with secret)
const hooksPath = '/events';

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off']);
  hub = await startHub(emu, { args: ['--allow-private-webhook-urls', '--webhook-first-retry-ms', '50'] });
  receiver = await startEventReceiver();
  project = await createProject(hub, 'Webhooks');
  const made = await call(hub, 'POST', '/webhooks', {
    key: project.api_key, body: { url: receiver.url(hooksPath), events: [] },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  endpoint = made.body;
});

after(async () => {
  const results = await Promise.allSettled([hub?.stop(), emu?.stop(), receiver?.close()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

// Links an account whose Item sends its webhooks to `webhook` (linkhub's URL for the project by
// default, as a link token made by linkhub would).
async function link(webhook = `${hub.url}/webhooks/plaid/${project.project_id}`, owner = 'cust_1') {
  const session = await connectSession(hub, project.api_key, { origin_owner_id: owner, multiple: true });
  const publicToken = await sandboxPublicToken(emu, 'ins_109508', ['transactions'], { webhook });
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: session.token, body: { credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return account(res.body.id);
}

async function account(id) {
  const res = await call(hub, 'GET', `/accounts/${id}`, { key: project.api_key });
  assert.equal(res.status, 200);
  return res.body;
}

// What an admin command that calls Plaid needs.
function plaidFlags() {
  return ['--plaid-base-url', emu.url, '--plaid-client-id', DEMO_CLIENT_ID, '--plaid-secret', DEMO_SECRET];
}

function fire(itemId, body) {
  return emu.control('POST', `/emulator/items/${itemId}/fire_webhook`, body);
}

describe('endpoints', () => {
  test('POST /webhooks shows the secret once; GET never does', async () => {
    assert.match(endpoint.id, /^whk_/);
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.deepEqual(endpoint.events, []);
    assert.equal(endpoint.url, receiver.url(hooksPath));
    const got = await call(hub, 'GET', `/webhooks/${endpoint.id}`, { key: project.api_key });
    assert.equal(got.status, 200);
    assert.equal(got.body.secret, undefined);
    const list = await call(hub, 'GET', '/webhooks', { key: project.api_key });
    assert.deepEqual(list.body.map((w) => w.id), [endpoint.id]);
    assert.ok(list.body.every((w) => w.secret === undefined));
  });

  test('bad URLs and event names are refused in StackOne\'s error shape', async () => {
    for (const [body, status] of [
      [{ url: 'ftp://example.com/x' }, 400],
      [{ url: 'not a url' }, 400],
      [{ url: 'https://user:pw@example.com/' }, 400],
      [{ url: receiver.url('/x'), events: ['account.exploded'] }, 400],
      [{ url: receiver.url('/x'), events: 'account.created' }, 400],
      [{}, 400],
    ]) {
      const res = await call(hub, 'POST', '/webhooks', { key: project.api_key, body });
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.statusCode, status);
      assert.equal(typeof res.body.message, 'string');
    }
  });

  test('another project sees none of them', async () => {
    const other = await createProject(hub, 'Other');
    for (const [method, p] of [['GET', `/webhooks/${endpoint.id}`], ['DELETE', `/webhooks/${endpoint.id}`],
      ['POST', `/webhooks/${endpoint.id}/rotate_secret`], ['GET', `/webhooks/${endpoint.id}/deliveries`]]) {
      const res = await call(hub, method, p, { key: other.api_key });
      assert.equal(res.status, 404, `${method} ${p}`);
    }
    assert.deepEqual((await call(hub, 'GET', '/webhooks', { key: other.api_key })).body, []);
    // Still there for its owner.
    assert.equal((await call(hub, 'GET', `/webhooks/${endpoint.id}`, { key: project.api_key })).status, 200);
  });
});

describe('the status machine, end to end', () => {
  let acc;
  let itemId;
  before(async () => {
    acc = await link();
    itemId = acc.plaid.item_id;
  });

  test('linking sends account.created, signed both ways', async () => {
    const [rec] = await receiver.waitFor(hooksPath, (e) => e.event === 'account.created' && e.account_id === acc.id);
    verifyEvent(endpoint.secret, rec);
    const e = rec.json;
    assert.equal(e.project_id, project.project_id);
    assert.equal(e.provider, 'plaid');
    assert.equal(e.origin_owner_id, 'cust_1');
    assert.equal(e.origin_owner_name, 'Acme');
    assert.equal(e.status, 'active');
    assert.match(e.event_id, /^evt_/);
    assert.ok(Date.parse(e.event_date) && Date.parse(e.sent_at));
  });

  test('the link token names linkhub\'s webhook URL for the project', async () => {
    const res = await call(hub, 'POST', '/plaid/link_token', { key: project.api_key, body: { origin_owner_id: 'cust_lt' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const got = await emu.plaid('/link/token/get', { link_token: res.body.link_token });
    assert.equal(got.body.metadata.webhook, `${hub.url}/webhooks/plaid/${project.project_id}`);
  });

  const rows = [
    ['ITEM ERROR ITEM_LOGIN_REQUIRED', () => emu.control('POST', `/emulator/items/${itemId}/reset_login`), 'error', 'login_required'],
    ['ITEM LOGIN_REPAIRED', () => fire(itemId, { webhook_code: 'LOGIN_REPAIRED' }), 'active', undefined],
    ['ITEM PENDING_EXPIRATION', () => fire(itemId, { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: '2027-03-01T00:00:00Z' }), 'active', 'consent_expiring'],
    ['ITEM PENDING_DISCONNECT', () => fire(itemId, { webhook_code: 'PENDING_DISCONNECT' }), 'active', 'pending_disconnect'],
    ['ITEM NEW_ACCOUNTS_AVAILABLE', () => fire(itemId, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE' }), 'active', 'new_accounts_available'],
    ['ITEM ERROR (another code)', () => fire(itemId, { webhook_code: 'ERROR', error_code: 'INSTITUTION_NOT_RESPONDING' }), 'error', 'INSTITUTION_NOT_RESPONDING'],
  ];
  for (const [name, act, status, reason] of rows) {
    test(`${name} -> ${status}${reason ? ` (${reason})` : ''}, and account.updated says so`, async () => {
      const seen = receiver.received.length;
      await act();
      const changed = await poll(async () => {
        const a = await account(acc.id);
        const last = a.status_reasons.at(-1)?.code;
        return a.status === status && last === reason ? a : null;
      }, 10000);
      assert.ok(changed, `${name}: the account did not become ${status} ${reason}`);
      const [rec] = await receiver.waitFor(hooksPath, (e, r) => receiver.received.indexOf(r) >= seen &&
        e.event === 'account.updated' && e.account_id === acc.id && e.status === status &&
        e.status_reasons.at(-1)?.code === reason);
      verifyEvent(endpoint.secret, rec);
      if (reason === 'consent_expiring') {
        assert.equal(changed.status_reasons.at(-1).expires_at, '2027-03-01T00:00:00Z');
        assert.equal(rec.json.status_reasons.at(-1).expires_at, '2027-03-01T00:00:00Z');
        assert.equal(changed.status_reasons.at(-1).relink, 'update');
      }
      if (reason === 'new_accounts_available') {
        assert.equal(changed.status_reasons.at(-1).relink, 'update_accounts');
      }
    });
  }

  test('a re-link after new accounts makes the account active again', async () => {
    await fire(itemId, { webhook_code: 'LOGIN_REPAIRED' });
    await poll(async () => (await account(acc.id)).status === 'active', 10000);
    await fire(itemId, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE' });
    await poll(async () => (await account(acc.id)).status_reasons.at(-1)?.code === 'new_accounts_available', 10000);
    const session = await connectSession(hub, project.api_key, { account_id: acc.id });
    const token = await call(hub, 'POST', '/hub/plaid/link_token', { session: session.token });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.update_mode, true);
    const relinked = await call(hub, 'POST', '/hub/accounts', {
      session: session.token, body: { credentials: { public_token: 'public-sandbox-unused' } },
    });
    assert.equal(relinked.status, 201, JSON.stringify(relinked.body));
    const after = await account(acc.id);
    assert.equal(after.status, 'active');
    assert.deepEqual(after.status_reasons, []);
    await receiver.waitFor(hooksPath, (e) => e.event === 'account.updated' && e.account_id === acc.id &&
      e.status === 'active' && e.status_reasons.length === 0);
  });

  test('TRANSACTIONS SYNC_UPDATES_AVAILABLE sends transactions.updates_available; the status stays', async () => {
    const before = await account(acc.id);
    await fire(itemId, { webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE' });
    const [rec] = await receiver.waitFor(hooksPath, (e) => e.event === 'transactions.updates_available' && e.account_id === acc.id);
    verifyEvent(endpoint.secret, rec);
    assert.equal((await account(acc.id)).status, before.status);
  });

  test('USER_PERMISSION_REVOKED makes the account inactive (revoked); nothing changes it after', async () => {
    await fire(itemId, { webhook_code: 'USER_PERMISSION_REVOKED' });
    const gone = await poll(async () => {
      const a = await account(acc.id);
      return a.status === 'inactive' ? a : null;
    }, 10000);
    assert.ok(gone);
    assert.equal(gone.status_reasons.at(-1).code, 'revoked');
    assert.equal(gone.status_reasons.at(-1).relink, 'link_again');
    await receiver.waitFor(hooksPath, (e) => e.event === 'account.updated' && e.account_id === acc.id && e.status === 'inactive');
    // Its Item is gone: there is nothing to re-link, only a new link to make.
    const relink = await call(hub, 'POST', '/connect_sessions', {
      key: project.api_key, body: { origin_owner_id: 'cust_1', origin_owner_name: 'Acme', account_id: acc.id },
    });
    assert.equal(relink.status, 409, JSON.stringify(relink.body));
    assert.match(relink.body.message, /link the bank again/);
  });
});

// ---------------------------------------------------------------- Plaid's webhooks in

// A JWS as Plaid would write one, from parts the test chooses.
function jws(header, claims, sign) {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${h}.${p}.${sign(Buffer.from(`${h}.${p}`))}`;
}
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

function forward(rec, { body = rec.rawBody, header = rec.headers['plaid-verification'], projectId } = {}) {
  return fetch(`${hub.url}/webhooks/plaid/${projectId ?? project.project_id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(header === null ? {} : { 'Plaid-Verification': header }) },
    body,
  });
}

describe('Plaid webhooks in', () => {
  let plaidHooks;
  let acc;
  let captured;  // a real ITEM ERROR webhook for acc, as Plaid signed it
  before(async () => {
    plaidHooks = await startWebhookReceiver();
    // This Item's webhooks go to the test, which forwards them to linkhub as the network would.
    acc = await link(plaidHooks.url('/plaid'), 'cust_in');
    await emu.control('POST', `/emulator/items/${acc.plaid.item_id}/reset_login`);
    captured = await plaidHooks.waitFor((r) => r.json?.item_id === acc.plaid.item_id && r.json?.webhook_code === 'ERROR');
  });
  after(() => plaidHooks?.close());

  test('forged, tampered, wrong-alg, unknown-kid and oversized webhooks are refused and change nothing', async () => {
    const real = captured.headers['plaid-verification'];
    const realHeader = JSON.parse(Buffer.from(real.split('.')[0], 'base64url').toString());
    const claims = { iat: Math.floor(Date.now() / 1000), request_body_sha256: sha256(captured.rawBody) };
    const mine = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const es256 = (input) => crypto.sign('sha256', input, { key: mine.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const cases = [
      ['no header', { header: null }, 401],
      ['not a JWS', { header: 'nonsense' }, 401],
      ['alg none', { header: jws({ alg: 'none', kid: realHeader.kid, typ: 'JWT' }, claims, () => '') }, 401],
      ['alg HS256', { header: jws({ alg: 'HS256', kid: realHeader.kid }, claims,
        (i) => crypto.createHmac('sha256', 'guess').update(i).digest('base64url')) }, 401],
      ['no kid', { header: jws({ alg: 'ES256' }, claims, es256) }, 401],
      ['an unknown kid', { header: jws({ alg: 'ES256', kid: 'kid-nobody-has' }, claims, es256) }, 401],
      ['forged with the real kid', { header: jws({ alg: 'ES256', kid: realHeader.kid }, claims, es256) }, 401],
      ['tampered body', { body: captured.rawBody.toString().replace('ITEM_LOGIN_REQUIRED', 'ITEM_LOGIN_REQUIRED ') }, 401],
      ['trailing data', { body: Buffer.concat([captured.rawBody, Buffer.from(' {}')]) }, 401],
      ['another project', { projectId: 'proj_someone_else' }, 404],
      ['oversized', { body: Buffer.alloc(2 << 20, 0x20) }, 413],
    ];
    for (const [name, opts, status] of cases) {
      const res = await forward(captured, opts);
      assert.equal(res.status, status, name);
      const body = await res.json();
      assert.equal(body.statusCode, status, name);
    }
    const still = await account(acc.id);
    assert.equal(still.status, 'active');
    assert.deepEqual(still.status_reasons, []);
    // Refusals are logged with their reason, never the body.
    assert.match(hub.stderr(), /Plaid webhook for project \S+ refused/);
    assert.doesNotMatch(hub.stderr(), /ITEM_LOGIN_REQUIRED /);
  });

  test('a verified webhook is answered at once and applied; the same body again is applied once', async () => {
    const first = await forward(captured);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { received: true, duplicate: false });
    const errored = await poll(async () => {
      const a = await account(acc.id);
      return a.status === 'error' ? a : null;
    }, 10000);
    assert.equal(errored.status_reasons[0].code, 'login_required');
    const again = await forward(captured);
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { received: true, duplicate: true });
    const deliveries = await call(hub, 'GET', `/webhooks/${endpoint.id}/deliveries?limit=500`, { key: project.api_key });
    const updates = deliveries.body.filter((d) => d.account_id === acc.id && d.event === 'account.updated');
    assert.equal(updates.length, 1, JSON.stringify(updates));
  });

  test('a webhook for an Item no account holds becomes an orphan report', async () => {
    // An Item made at Plaid behind linkhub's back (as a crash between Plaid's exchange and the
    // commit would leave one), whose webhooks come to linkhub.
    const publicToken = await sandboxPublicToken(emu, 'ins_109508', ['transactions'],
      { webhook: `${hub.url}/webhooks/plaid/${project.project_id}` });
    const exchanged = await emu.plaid('/item/public_token/exchange', { public_token: publicToken });
    const itemId = exchanged.body.item_id;
    await fire(itemId, { webhook_code: 'PENDING_DISCONNECT' });
    const listed = await poll(async () => {
      const orphans = await admin(hub.dataDir, hub.masterKey, ['items', 'orphans', '--project', project.project_id]);
      return orphans.find((o) => o.item_id === itemId);
    }, 10000);
    assert.ok(listed, 'no orphan report for the Item');
    assert.equal(listed.certainty, 'definite');
    assert.equal(listed.removable, false);
    assert.match(listed.reason, /PENDING_DISCONNECT/);
    // The same Item again is the same report.
    await fire(itemId, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE' });
    await poll(async () => {
      const orphans = await admin(hub.dataDir, hub.masterKey, ['items', 'orphans', '--project', project.project_id]);
      return orphans.find((o) => o.item_id === itemId)?.reason.includes('NEW_ACCOUNTS_AVAILABLE');
    }, 10000);
    const orphans = await admin(hub.dataDir, hub.masterKey, ['items', 'orphans', '--project', project.project_id]);
    assert.equal(orphans.filter((o) => o.item_id === itemId).length, 1);
    // Without its access token linkhub cannot remove it, and says what to do instead.
    await assert.rejects(
      admin(hub.dataDir, hub.masterKey, ['items', 'remove-orphan', '--project', project.project_id, '--id', itemId,
        ...plaidFlags()]),
      /ask Plaid support/);
  });

  test('items update-webhooks moves live Items to linkhub\'s URL', async () => {
    const moved = await link(plaidHooks.url('/plaid'), 'cust_moved');
    const out = await admin(hub.dataDir, hub.masterKey,
      ['items', 'update-webhooks', '--project', project.project_id, '--public-url', hub.url, ...plaidFlags()]);
    assert.ok(out.updated >= 2, JSON.stringify(out));
    assert.deepEqual(out.failed, []);
    await fire(moved.plaid.item_id, { webhook_code: 'PENDING_DISCONNECT' });
    const warned = await poll(async () => (await account(moved.id)).status_reasons.at(-1)?.code === 'pending_disconnect', 10000);
    assert.ok(warned, 'the Item\'s webhook did not reach linkhub');
  });
});

// ---------------------------------------------------------------- events out

describe('deliveries', () => {
  test('a receiver that fails three times then succeeds gets the event once more, in order', async () => {
    const made = await call(hub, 'POST', '/webhooks', {
      key: project.api_key, body: { url: receiver.url('/flaky'), events: ['account.updated'] },
    });
    assert.equal(made.status, 201);
    const failures = new Map();
    receiver.setAnswer((rec) => {
      if (rec.path !== '/flaky') return 200;
      const id = rec.headers['webhook-id'];
      const n = failures.get(id) ?? 0;
      failures.set(id, n + 1);
      return n < 3 ? 500 : 200;
    });
    const acc = await link(undefined, 'cust_flaky');
    await emu.control('POST', `/emulator/items/${acc.plaid.item_id}/reset_login`);
    const hits = await receiver.waitFor('/flaky', (e) => e.account_id === acc.id, 4, 20000);
    const ids = new Set(hits.map((h) => h.headers['webhook-id']));
    assert.equal(ids.size, 1, 'every retry carries the same webhook-id');
    for (const h of hits) verifyEvent(made.body.secret, h);
    // Subscribed to account.updated only: the account's account.created never came here.
    assert.ok(hits.every((h) => h.json.event === 'account.updated'));
    const delivered = await poll(async () => {
      const list = await call(hub, 'GET', `/webhooks/${made.body.id}/deliveries`, { key: project.api_key });
      return list.body.find((d) => d.account_id === acc.id && d.state === 'delivered');
    }, 10000);
    assert.ok(delivered);
    assert.equal(delivered.attempt_count, 4);
    assert.deepEqual(delivered.attempts.map((a) => a.status_code), [500, 500, 500, 200]);
    assert.ok(delivered.attempts.every((a) => Number.isInteger(a.latency_ms)));
    assert.match(delivered.attempts[0].error, /HTTP 500/);

    // A retry asked for by hand sends it once more, with the same id.
    const retried = await call(hub, 'POST', `/webhooks/${made.body.id}/deliveries/${delivered.id}/retry`, { key: project.api_key });
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    const again = await receiver.waitFor('/flaky', (e) => e.account_id === acc.id, 5, 10000);
    assert.equal(again.at(-1).headers['webhook-id'], hits[0].headers['webhook-id']);
    receiver.setAnswer(() => 200);
    assert.equal((await call(hub, 'DELETE', `/webhooks/${made.body.id}`, { key: project.api_key })).status, 200);
    assert.equal((await call(hub, 'GET', `/webhooks/${made.body.id}`, { key: project.api_key })).status, 404);
  });

  test('rotating the secret: both sign for the overlap, the new one signs x-stackone-signature', async () => {
    const made = await call(hub, 'POST', '/webhooks', {
      key: project.api_key, body: { url: receiver.url('/rotated') },
    });
    const rotated = await call(hub, 'POST', `/webhooks/${made.body.id}/rotate_secret`, { key: project.api_key });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.secret, made.body.secret);
    assert.ok(Date.parse(rotated.body.previous_secret_expires_at) > Date.now() + 23 * 3600e3);
    const acc = await link(undefined, 'cust_rotated');
    const [rec] = await receiver.waitFor('/rotated', (e) => e.account_id === acc.id && e.event === 'account.created');
    assert.equal(rec.headers['webhook-signature'].split(' ').length, 2);
    verifyEvent(rotated.body.secret, rec);
    new Webhook(made.body.secret).verify(rec.rawBody, rec.headers);  // the old one still verifies
    assert.ok(!stackoneSignatureOk(made.body.secret, rec));
    await call(hub, 'DELETE', `/webhooks/${made.body.id}`, { key: project.api_key });
  });

  test('without --allow-private-webhook-urls, loopback and private addresses are refused', async () => {
    const strict = await startHub(emu);
    try {
      const p = await createProject(strict, 'Strict');
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://10.1.2.3/x',
        'http://169.254.169.254/latest', 'http://[::1]/x', 'http://192.168.0.1/']) {
        const res = await call(strict, 'POST', '/webhooks', { key: p.api_key, body: { url } });
        assert.equal(res.status, 403, url);
        assert.match(res.body.message, /private|loopback/, url);
      }
    } finally {
      await strict.stop();
    }
  });
});

describe('nothing is lost across a crash', { skip: !executable(hubTestBinary) && 'needs linkhub-test' }, () => {
  test('SIGKILL after a status change commits: the event arrives after restart with the same webhook-id', async () => {
    const down = await startEventReceiver();
    down.setAnswer(() => 503);
    const args = ['--allow-private-webhook-urls', '--webhook-first-retry-ms', '50'];
    let crashing = await startHub(emu, { binary: hubTestBinary, args,
      env: { LINKHUB_TEST_CRASH_AT: 'plaid_webhook.after_status' } });
    const { dataDir, masterKey } = crashing;
    let restarted;
    try {
      const p = await createProject(crashing, 'Crash');
      const made = await call(crashing, 'POST', '/webhooks', { key: p.api_key, body: { url: down.url('/c') } });
      const session = await connectSession(crashing, p.api_key);
      const publicToken = await sandboxPublicToken(emu, 'ins_109508', ['transactions'],
        { webhook: `${crashing.url}/webhooks/plaid/${p.project_id}` });
      const linked = await call(crashing, 'POST', '/hub/accounts', {
        session: session.token, body: { credentials: { public_token: publicToken } },
      });
      assert.equal(linked.status, 201, JSON.stringify(linked.body));
      const acc = (await call(crashing, 'GET', `/accounts/${linked.body.id}`, { key: p.api_key })).body;
      await emu.control('POST', `/emulator/items/${acc.plaid.item_id}/reset_login`);
      const [code, signal] = await crashing.exited;
      assert.equal(signal ?? code, 'SIGKILL');

      down.setAnswer(() => 200);
      restarted = await startHub(emu, { dataDir, masterKey, args });
      const hits = await down.waitFor('/c', (e) => e.event === 'account.updated' && e.account_id === acc.id, 1, 20000);
      verifyEvent(made.body.secret, hits[0]);
      assert.equal(hits[0].json.status, 'error');
      const list = await call(restarted, 'GET', `/webhooks/${made.body.id}/deliveries`, { key: p.api_key });
      const updates = list.body.filter((d) => d.event === 'account.updated');
      assert.equal(updates.length, 1, 'the change was reported once');
      assert.equal(updates[0].event_id, hits[0].headers['webhook-id']);
      const after = (await call(restarted, 'GET', `/accounts/${acc.id}`, { key: p.api_key })).body;
      assert.equal(after.status, 'error');
      assert.equal(after.status_reasons[0].code, 'login_required');
    } finally {
      await crashing.kill();
      await restarted?.stop();
      await down.close();
    }
  });
});
// Stale and future-dated signatures (iat more than five minutes away) are refused by the verifier
// itself: tests/integration/webhook_verifier_test.cc signs with the emulator's signer and moves
// linkhub's clock, which a process under test here cannot do.
