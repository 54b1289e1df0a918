// Tenant isolation: two projects A and B on one hub, each with a linked account and a connect
// session. Every management endpoint is called with B's API key on A's resources (and the Hub API
// with B's session on A's public token): B must get 404 (an empty list for the list endpoint), as
// if A's resources did not exist, and A's account, its Item at the emulator and A's session must be
// unchanged afterwards. Both projects use the same origin_owner_id, so nothing but the project
// separates them.
//
// Run: node --test tests/node/hub_isolation.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, createProject, call, sandboxPublicToken, connectSession, poll } from './lib/hub.mjs';

const PLATYPUS = 'ins_109508';
const OWNER = 'shared-owner-1';   // the same owner id in both projects

let emu;
let hub;
const A = {};   // {project, key, account, itemId, publicToken, session}
const B = {};

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off']);
  hub = await startHub(emu);
  for (const [p, name] of [[A, 'tenant A'], [B, 'tenant B']]) {
    p.project = await createProject(hub, name);
    p.key = p.project.api_key;
    const linkSession = await connectSession(hub, p.key, { origin_owner_id: OWNER, origin_owner_name: name });
    p.publicToken = await sandboxPublicToken(emu, PLATYPUS);
    const res = await call(hub, 'POST', '/hub/accounts', {
      session: linkSession.token, body: { integration_id: 'plaid', credentials: { public_token: p.publicToken } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    p.account = (await call(hub, 'GET', `/accounts/${res.body.id}`, { key: p.key })).body;
    p.itemId = p.account.plaid.item_id;
    // A session that is still open (multiple, so it could link more).
    p.session = await connectSession(hub, p.key, { origin_owner_id: OWNER, origin_owner_name: name,
                                                   multiple: true, label: `${name} open session` });
  }
  assert.notEqual(A.itemId, B.itemId);
});

after(async () => {
  const results = await Promise.allSettled([hub?.stop(), emu?.stop()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

function assertNotFound(res) {
  assert.equal(res.status, 404, `expected 404, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.statusCode, 404);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(!Number.isNaN(Date.parse(res.body.timestamp)));
  // Nothing of A's leaks through the error.
  const text = JSON.stringify(res.body);
  for (const secret of [A.itemId, A.project.project_id, A.session.token, A.publicToken]) {
    assert.ok(!text.includes(secret), `the error shows ${secret}`);
  }
}

async function emuItem(itemId) {
  const { items } = await emu.control('GET', '/emulator/items');
  return items.find((i) => i.item_id === itemId);
}

// A's account, Item and session as A sees them: must not change through anything B does.
async function assertAUnchanged() {
  const acc = await call(hub, 'GET', `/accounts/${A.account.id}`, { key: A.key });
  assert.equal(acc.status, 200, JSON.stringify(acc.body));
  assert.deepEqual(acc.body, A.account);
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${OWNER}`, { key: A.key });
  assert.deepEqual(list.body.map((a) => a.id), [A.account.id]);
  const item = await emuItem(A.itemId);
  assert.equal(item.exchanged, true);
  assert.equal(item.removed, false, "A's Item was removed at Plaid");
  const s = await call(hub, 'POST', '/connect_sessions/authenticate', { key: A.key, body: { token: A.session.token } });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  assert.equal(s.body.id, A.session.id);
  assert.equal(s.body.project_id, A.project.project_id);
  const lt = await call(hub, 'POST', '/hub/plaid/link_token', { session: A.session.token });
  assert.equal(lt.status, 200, JSON.stringify(lt.body));
  assert.equal(lt.body.update_mode, false);
}

const cases = [
  {
    name: 'GET /accounts/{A} with B key -> 404',
    run: () => call(hub, 'GET', `/accounts/${A.account.id}`, { key: B.key }),
    expect: assertNotFound,
  },
  {
    name: 'GET /accounts/{A}/meta with B key -> 404',
    run: () => call(hub, 'GET', `/accounts/${A.account.id}/meta`, { key: B.key }),
    expect: assertNotFound,
  },
  {
    name: 'PATCH /accounts/{A} with B key -> 404',
    run: () => call(hub, 'PATCH', `/accounts/${A.account.id}`, {
      key: B.key, body: { label: 'taken over', origin_owner_name: 'B', origin_owner_id: 'b-owner' },
    }),
    expect: assertNotFound,
  },
  {
    name: 'PATCH /accounts/{A} with B key and the StackOne SDK body -> 404',
    run: () => call(hub, 'PATCH', `/accounts/${A.account.id}`, {
      key: B.key, body: { credentials: {}, label: {}, metadata: {}, secrets: {}, type: 'production' },
    }),
    expect: assertNotFound,
  },
  {
    name: 'DELETE /accounts/{A} with B key -> 404',
    run: () => call(hub, 'DELETE', `/accounts/${A.account.id}`, { key: B.key }),
    expect: assertNotFound,
  },
  {
    name: 'GET /accounts?account_ids=<A> with B key -> []',
    run: () => call(hub, 'GET', `/accounts?account_ids=${A.account.id}`, { key: B.key }),
    expect: (res) => {
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, []);
    },
  },
  {
    name: 'GET /accounts?account_ids=<A>,<B> with B key -> only B',
    run: () => call(hub, 'GET', `/accounts?account_ids=${A.account.id},${B.account.id}`, { key: B.key }),
    expect: (res) => {
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((a) => a.id), [B.account.id]);
    },
  },
  {
    name: 'GET /accounts?origin_owner_id=<shared owner> with B key -> only B',
    run: () => call(hub, 'GET', `/accounts?origin_owner_id=${OWNER}`, { key: B.key }),
    expect: (res) => {
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((a) => a.id), [B.account.id]);
    },
  },
  {
    name: 'GET /accounts (no filter) with B key -> only B',
    run: () => call(hub, 'GET', '/accounts?page_size=100', { key: B.key }),
    expect: (res) => {
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((a) => a.id), [B.account.id]);
    },
  },
  {
    name: 'POST /connect_sessions with account_id of A and B key -> 404',
    run: () => call(hub, 'POST', '/connect_sessions', {
      key: B.key, body: { origin_owner_id: OWNER, origin_owner_name: 'B', account_id: A.account.id },
    }),
    expect: assertNotFound,
  },
  {
    name: "POST /connect_sessions/authenticate with A's token and B key -> 404",
    run: () => call(hub, 'POST', '/connect_sessions/authenticate', { key: B.key, body: { token: A.session.token } }),
    expect: assertNotFound,
  },
  {
    name: 'POST /plaid/link_token with account_id of A and B key -> 404',
    run: () => call(hub, 'POST', '/plaid/link_token', {
      key: B.key, body: { origin_owner_id: OWNER, account_id: A.account.id },
    }),
    expect: assertNotFound,
  },
  {
    name: "POST /hub/accounts with B's session and A's already linked public token -> not A's account",
    run: () => call(hub, 'POST', '/hub/accounts', {
      session: B.session.token, body: { integration_id: 'plaid', credentials: { public_token: A.publicToken } },
    }),
    expect: (res) => {
      assert.notEqual(res.body?.id, A.account.id, "B's session got A's account");
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.message, /run Plaid Link again/);
      assert.ok(!JSON.stringify(res.body).includes(A.account.id), "the answer names A's account");
    },
  },
  {
    name: "POST /hub/accounts with B's session and A's public token with Link metadata -> not A's account",
    run: () => call(hub, 'POST', '/hub/accounts', {
      session: B.session.token,
      body: { integration_id: 'plaid', credentials: { public_token: A.publicToken },
              metadata: { institution: { institution_id: PLATYPUS, name: 'First Platypus Bank' },
                          accounts: A.account.plaid.accounts.map((a) => ({ id: a.account_id, name: a.name,
                                                                           mask: a.mask })),
                          link_session_id: randomUUID() } },
    }),
    expect: (res) => {
      assert.notEqual(res.body?.id, A.account.id, "B's session got A's account");
      assert.ok(res.status === 400 || res.status === 409, `status ${res.status}: ${JSON.stringify(res.body)}`);
      assert.notEqual(res.body.existing_account_id, A.account.id);
      assert.ok(!JSON.stringify(res.body).includes(A.account.id), "the answer names A's account");
    },
  },
  {
    name: "A's session token as B's API key -> 401",
    run: () => call(hub, 'GET', `/accounts/${A.account.id}`, { key: A.session.token }),
    expect: (res) => assert.equal(res.status, 401),
  },
  {
    name: "B's API key as a hub session token -> 401",
    run: () => call(hub, 'POST', '/hub/plaid/link_token', { session: B.key }),
    expect: (res) => assert.equal(res.status, 401),
  },
];

for (const c of cases) {
  test(c.name, async () => {
    c.expect(await c.run());
    await assertAUnchanged();
    // B's own account is untouched as well.
    const b = await call(hub, 'GET', `/accounts/${B.account.id}`, { key: B.key });
    assert.equal(b.status, 200);
    assert.deepEqual(b.body, B.account);
  });
}

test("B's session cannot take over a public token A is exchanging right now", async () => {
  const session = await connectSession(hub, A.key, { origin_owner_id: 'race-owner', origin_owner_name: 'A' });
  const publicToken = await sandboxPublicToken(emu, 'ins_109509');
  await emu.control('POST', '/emulator/faults', { endpoint: '/item/public_token/exchange', delay_ms: 400, count: 1 });
  const body = { integration_id: 'plaid', credentials: { public_token: publicToken } };
  const aRes = call(hub, 'POST', '/hub/accounts', { session: session.token, body });
  // A's exchange is in flight once the emulator took the fault (it does so as the call arrives).
  assert.ok(await poll(async () => (await emu.control('GET', '/emulator/faults')).faults.length === 0, 5000, 10),
            "A's exchange did not reach the emulator");
  const bRes = await call(hub, 'POST', '/hub/accounts', { session: B.session.token, body });
  const a = await aRes;
  assert.equal(a.status, 201, JSON.stringify(a.body));
  assert.notEqual(bRes.body?.id, a.body.id, "B's session got A's account");
  assert.equal(bRes.status, 400, JSON.stringify(bRes.body));
  assert.match(bRes.body.message, /run Plaid Link again/);
  // B still sees only its own account; A sees its new one.
  const bList = await call(hub, 'GET', '/accounts', { key: B.key });
  assert.deepEqual(bList.body.map((x) => x.id), [B.account.id]);
  const aGet = await call(hub, 'GET', `/accounts/${a.body.id}`, { key: A.key });
  assert.equal(aGet.status, 200);
  assert.equal(aGet.body.origin_owner_id, 'race-owner');
  await assertAUnchanged();
});

test("A's resources still work for A after all of B's attempts", async () => {
  const patched = await call(hub, 'PATCH', `/accounts/${A.account.id}`, { key: A.key, body: { label: 'A label' } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.label, 'A label');
  const relink = await call(hub, 'POST', '/connect_sessions', {
    key: A.key, body: { origin_owner_id: OWNER, origin_owner_name: 'A', account_id: A.account.id },
  });
  assert.equal(relink.status, 201, JSON.stringify(relink.body));
  const lt = await call(hub, 'POST', '/plaid/link_token', { key: A.key, body: { origin_owner_id: OWNER, account_id: A.account.id } });
  assert.equal(lt.status, 200, JSON.stringify(lt.body));
  const del = await call(hub, 'DELETE', `/accounts/${A.account.id}`, { key: A.key });
  assert.equal(del.status, 200);
  assert.equal((await emuItem(A.itemId)).removed, true);
  assert.equal((await emuItem(B.itemId)).removed, false);
  const b = await call(hub, 'GET', `/accounts/${B.account.id}`, { key: B.key });
  assert.equal(b.status, 200);
});
