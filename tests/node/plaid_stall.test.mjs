// A slow Plaid holds up nothing that does not wait on it. Fifty Plaid calls are held in flight
// (the emulator delays /transactions/sync by two minutes, far longer than the test runs), 30 of
// project A and 20 of project B; meanwhile routes that need no Plaid call, B's fast RPC and the
// Hub API answer, and A, at its per-project limit, has its next calls queued and then refused
// with 503 and Retry-After. Each check is that an answer came while all fifty slow calls were
// still unanswered, not how long it took.
//
// References: docs/api.md (Errors, Capacity), docs/emulator.md (Test controls).
// Run: node --test tests/node/plaid_stall.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, createProject, call, connectSession, linkAccount, poll } from './lib/hub.mjs';

const PER_PROJECT = 30;
const QUEUE = 3;

let emu;
let hub;
let a;  // {key, account, session}
let b;
const slow = [];  // the held calls: {promise, settled}

async function arrived(path) {
  const { requests } = await emu.control('GET', '/emulator/requests');
  return requests[path] ?? 0;
}

function rpc(project, action, body = {}) {
  return call(hub, 'POST', '/actions/rpc', {
    key: project.key, headers: { 'x-account-id': project.account.id }, body: { action, body },
  });
}

function hold(project, i) {
  const entry = { settled: false };
  entry.promise = rpc(project, 'plaid_sync_transactions', { consumer: `held-${i}` })
    .catch((e) => ({ error: e }))
    .finally(() => { entry.settled = true; });
  slow.push(entry);
  return entry;
}

function assertStillHeld() {
  assert.equal(slow.filter((s) => s.settled).length, 0, 'a held Plaid call was answered');
}

async function setUpProject(name) {
  const key = (await createProject(hub, name)).api_key;
  const account = await linkAccount(hub, emu, key);
  const session = (await connectSession(hub, key, { origin_owner_id: `${name}-hub` })).token;
  return { key, account, session };
}

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off', '--transactions-initial-delay', '0',
                             '--transactions-historical-delay', '0']);
  hub = await startHub(emu, {
    args: ['--plaid-rate-budget', 'off', '--plaid-timeout', '280',
           '--plaid-concurrency-per-project', String(PER_PROJECT),
           '--plaid-queue-per-project', String(QUEUE)],
  });
  a = await setUpProject('stall-a');
  b = await setUpProject('stall-b');
  // Both keys are known in memory now, so B's RPC below takes the fast door.
  assert.equal((await rpc(a, 'plaid_list_accounts')).status, 200);
  assert.equal((await rpc(b, 'plaid_list_accounts')).status, 200);
});

after(async () => {
  // The held calls end with the hub; the emulator lets its delayed answers go at shutdown.
  await hub?.kill();
  await Promise.all(slow.map((s) => s.promise));
  await emu?.stop();
});

test('fifty slow Plaid calls in flight hold up neither other routes nor another project', { timeout: 120_000 }, async () => {
  const before = await arrived('/transactions/sync');
  await emu.control('POST', '/emulator/faults',
                    { endpoint: '/transactions/sync', delay_ms: 120_000, count: 50 });
  for (let i = 0; i < PER_PROJECT; ++i) hold(a, i);
  for (let i = 0; i < 20; ++i) hold(b, i);
  // Fifty calls at Plaid at once: more than the handler threads that serve everything else.
  const atPlaid = await poll(async () => (await arrived('/transactions/sync')) - before >= 50, 60_000);
  assert.ok(atPlaid, `only ${(await arrived('/transactions/sync')) - before} calls reached Plaid`);
  assertStillHeld();

  // Routes that need no Plaid call.
  for (let i = 0; i < 20; ++i) {
    assert.equal((await call(hub, 'GET', '/accounts', { key: a.key })).status, 200);
    assert.equal((await call(hub, 'GET', '/connectors/meta', { key: a.key })).status, 200);
    assert.equal((await call(hub, 'GET', `/accounts/${a.account.id}`, { key: a.key })).status, 200);
  }
  assert.equal((await call(hub, 'GET', '/hub/settings', { session: a.session })).status, 200);
  assert.equal((await call(hub, 'GET', '/hub/accounts', { session: a.session })).status, 200);
  // B is under its limit: its cached RPC reaches Plaid and answers as usual.
  for (let i = 0; i < 20; ++i) {
    const res = await rpc(b, 'plaid_list_accounts');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(Array.isArray(res.body.data.accounts));
  }
  assertStillHeld();
});

test('a project at its limit queues its next Plaid calls, then is told to retry', { timeout: 120_000 }, async () => {
  // One more than the queue holds, all at once: the queue takes three, the fourth is refused
  // at once (whichever it is), in the hub's error shape.
  const next = [];
  for (let i = 0; i <= QUEUE; ++i) {
    const entry = { settled: false };
    entry.promise = rpc(a, 'plaid_list_accounts').catch((e) => ({ error: e }))
      .finally(() => { entry.settled = true; });
    next.push(entry);
  }
  const refused = await Promise.race(next.map((n) => n.promise));
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal(refused.body.statusCode, 503);
  assert.match(refused.body.message, /too many requests waiting on Plaid/);
  assert.ok(refused.body.timestamp);
  // Everything else still answers, for A as well; the queued three are still waiting.
  assert.equal((await call(hub, 'GET', '/accounts', { key: a.key })).status, 200);
  assert.equal((await rpc(b, 'plaid_list_accounts')).status, 200);
  assert.equal(next.filter((n) => n.settled).length, 1, 'a queued call was answered');
  slow.push(...next.filter((n) => !n.settled));
  assertStillHeld();
});
