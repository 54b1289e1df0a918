// Crash safety of the public-token exchange. build/bin/linkhub-test (linkhub with test hooks)
// raises SIGKILL at a named point of POST /hub/accounts when LINKHUB_TEST_CRASH_AT is set; the
// test then restarts the hub on the same data dir and master key, without the crash point, and
// checks what the contract promises for that window:
//
//   exchange.after_pending   pending record durable, Plaid not called: nothing at Plaid yet; the
//                            restarted hub says it never reached Plaid, and the page's retry with
//                            the same public token links it, one Item.
//   exchange.after_sending   "sending" journaled, Plaid not called: the outcome is unknown to the
//                            restarted hub (a possible orphan); the retry links and clears it.
//   exchange.after_exchange  Plaid exchanged, nothing written: the one window that cannot be
//                            closed (Plaid has no idempotency key and no way to list Items, so the
//                            Item's access token is lost). The hub guarantees no half-linked
//                            account, a 400 INVALID_PUBLIC_TOKEN on the retry, and a definite
//                            orphan listed by `linkhub items orphans` with the exchange id and
//                            link_session_id for a support ticket.
//   exchange.after_journal   the sealed answer journaled, the account not stored: the restarted
//                            hub stores the account from the journal; nothing is lost.
//   exchange.after_commit    account stored active, display fields not fetched: the restarted hub
//                            fetches them in the background; the retry gets the same account.
//   exchange.after_details   everything stored, the answer lost: the retry gets the same account.
//
// In every case: no account is half-linked (each listed account is active, has its Plaid item_id
// and, after the background fill, its institution name), and the emulator's live exchanged Items
// are exactly the hub's accounts' Items (except the after_exchange orphan, which is listed).
//
// Run: node --test tests/node/hub_crash.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, emulatorBinary } from './lib/emulator.mjs';
import {
  startHub, createProject, call, connectSession, sandboxPublicToken, hubTestBinary, newDataDir,
  newMasterKey, poll, executable, admin,
} from './lib/hub.mjs';

const execFileP = promisify(execFile);
const INSTITUTION = 'ins_109508';  // First Platypus Bank
const INSTITUTION_NAME = 'First Platypus Bank';


// Starts linkhub-test; waits a bounded time for the binary if it is being rebuilt.
async function startTestHub(emu, opts) {
  await poll(() => executable(hubTestBinary), 30000, 200);
  return startHub(emu, { binary: hubTestBinary, ...opts });
}

// Starts the emulator (once its binary is in place) with transactions ready and no rate limits.
async function newEmulator() {
  await poll(() => executable(emulatorBinary), 30000, 200);
  return startEmulator(['--transactions-initial-delay', '0', '--rate-limits', 'off']);
}

async function liveExchangedItems(emu) {
  const { items } = await emu.control('GET', '/emulator/items');
  return items.filter((i) => i.exchanged && !i.removed);
}

// `linkhub items orphans` on the hub's data directory.
function listOrphans(hub, project) {
  return admin(hub.dataDir, hub.masterKey, ['items', 'orphans', '--project', project.project_id],
    { binary: hubTestBinary });
}

async function listAccounts(hub, key) {
  const res = await call(hub, 'GET', '/accounts', { key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

// (a) No half-linked account: every listed account is active with its item_id, and the
// institution name and bank accounts arrive (background fill after a restart) within a bounded
// wait.
async function assertNoHalfLinkedAccount(hub, key) {
  const accounts = await poll(async () => {
    const list = await listAccounts(hub, key);
    return list.every((a) => a.plaid.institution_name && a.plaid.accounts?.length) ? list : null;
  }) ?? await listAccounts(hub, key);
  for (const a of accounts) {
    assert.equal(a.status, 'active', JSON.stringify(a));
    assert.equal(typeof a.plaid.item_id, 'string', `no item_id: ${JSON.stringify(a)}`);
    assert.ok(a.plaid.item_id.length > 0);
    assert.equal(a.plaid.institution_name, INSTITUTION_NAME, `details never filled: ${JSON.stringify(a)}`);
    assert.equal(a.plaid.institution_id, INSTITUTION);
    assert.ok(a.plaid.accounts.length > 0, 'accounts never filled');
  }
  return accounts;
}

// One crash scenario up to the restart. Resolves to the state the checks need; the caller must
// stop `emu` and `hub` (in a finally) — `cleanup()` does both.
async function crashAndRestart(point, { withInstitution = false } = {}) {
  const emu = await newEmulator();
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const state = { emu, hub: null, dataDir, masterKey };
  state.cleanup = async () => {
    try {
      if (state.hub) await state.hub.stop();
    } finally {
      await emu.stop();
    }
  };
  try {
    const crashing = await startTestHub(emu, { env: { LINKHUB_TEST_CRASH_AT: point }, dataDir, masterKey });
    state.hub = crashing;
    state.project = await createProject(crashing, `crash ${point}`, { binary: hubTestBinary });
    state.session = await connectSession(crashing, state.project.api_key,
      { origin_owner_id: 'crash_owner', origin_owner_name: 'Crash Owner' });
    state.publicToken = await sandboxPublicToken(emu, INSTITUTION);
    state.linkSessionId = `lsid-${point}-${Date.now()}`;
    // Without the institution in the metadata the account is stored without display fields, so
    // the background fill after a restart is what must supply them.
    state.body = {
      integration_id: 'plaid',
      credentials: { public_token: state.publicToken },
      metadata: {
        link_session_id: state.linkSessionId,
        ...(withInstitution ? { institution: { institution_id: INSTITUTION, name: INSTITUTION_NAME } } : {}),
      },
    };
    const outcome = await call(crashing, 'POST', '/hub/accounts', { session: state.session.token, body: state.body })
      .then((r) => ({ response: r }), (e) => ({ error: e }));
    assert.ok(outcome.error, `the request should fail with the process, got ${JSON.stringify(outcome.response)}`);
    const [code, signal] = await crashing.exited;
    assert.equal(signal, 'SIGKILL', `exit ${code} / ${signal}`);
    assert.equal(code, null);
    assert.match(crashing.stderr(), new RegExp(`test hook: SIGKILL at ${point.replace('.', '\\.')}`));
    state.hub = null;

    state.hub = await startTestHub(emu, { dataDir, masterKey });
    return state;
  } catch (e) {
    await state.cleanup().catch(() => {});
    throw e;
  }
}

function resubmit(state) {
  return call(state.hub, 'POST', '/hub/accounts', { session: state.session.token, body: state.body });
}

test('exchange.after_pending: nothing at Plaid yet; the retry with the same token links one Item', async () => {
  const s = await crashAndRestart('exchange.after_pending');
  try {
    const key = s.project.api_key;
    assert.deepEqual(await assertNoHalfLinkedAccount(s.hub, key), [], 'no account before the retry');
    assert.deepEqual(await liveExchangedItems(s.emu), [], 'Plaid was never called');
    // The restarted hub knows the exchange never reached Plaid: nothing to suspect.
    assert.match(s.hub.stderr(),
      /never reached Plaid before the process stopped; a retry with the same public token links it safely/);
    assert.deepEqual(await listOrphans(s.hub, s.project), []);

    const res = await resubmit(s);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.id, /^acc_/);
    assert.equal(res.body.status, 'active');

    const accounts = await assertNoHalfLinkedAccount(s.hub, key);
    assert.deepEqual(accounts.map((a) => a.id), [res.body.id]);
    const items = await liveExchangedItems(s.emu);
    assert.equal(items.length, 1, JSON.stringify(items));
    assert.equal(items[0].item_id, accounts[0].plaid.item_id);

    // A second retry (the page retrying again) gets the same account, no second Item.
    const again = await resubmit(s);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.id, res.body.id);
    assert.equal((await liveExchangedItems(s.emu)).length, 1);
  } finally {
    await s.cleanup();
  }
});

test('exchange.after_exchange: the orphan window; no half-linked account, 400 and a support log line', async () => {
  // This is the window Plaid's API cannot close: /item/public_token/exchange succeeded, the access
  // token was only in the dead process's memory, and Plaid offers neither an idempotency key nor a
  // way to list a client's Items. The Item stays orphaned (billed) at Plaid. What the hub does
  // guarantee is checked here: no account for it, a clear 400 on the retry, and a log line naming
  // the exchange and the link_session_id so support can find the Item at Plaid.
  const s = await crashAndRestart('exchange.after_exchange');
  try {
    const key = s.project.api_key;
    assert.deepEqual(await assertNoHalfLinkedAccount(s.hub, key), [], 'no half-linked account');
    // The orphan at the emulator: exchanged, not removed, and no account has it.
    const orphans = await liveExchangedItems(s.emu);
    assert.equal(orphans.length, 1, JSON.stringify(orphans));

    // The restarted hub cannot know whether Plaid made the Item: it says so, and lists a
    // possible orphan.
    const interrupted = s.hub.stderr().match(/exchange (exch_\w+) \(project [^)]*\): outcome unknown/);
    assert.ok(interrupted, `no reconcile line:\n${s.hub.stderr()}`);
    const exchangeId = interrupted[1];
    const possible = await listOrphans(s.hub, s.project);
    assert.equal(possible.length, 1, JSON.stringify(possible));
    assert.equal(possible[0].certainty, 'possible');
    assert.equal(possible[0].exchange_id, exchangeId);
    assert.equal(possible[0].link_session_id, s.linkSessionId);

    const res = await resubmit(s);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.statusCode, 400);
    assert.match(res.body.message, /run Plaid Link again/);
    assert.ok(Array.isArray(res.body.provider_errors), JSON.stringify(res.body));
    assert.equal(res.body.provider_errors[0].error_code, 'INVALID_PUBLIC_TOKEN');
    assert.equal(res.body.provider_errors[0].raw.error_code, 'INVALID_PUBLIC_TOKEN');

    const orphanLine = s.hub.stderr().split('\n').find((l) => l.includes('(an orphan)'));
    assert.ok(orphanLine, `no orphan log line:\n${s.hub.stderr()}`);
    assert.ok(orphanLine.includes(exchangeId), orphanLine);
    assert.ok(orphanLine.includes(s.linkSessionId), orphanLine);
    // Now it is known: a definite orphan, with what a support ticket needs.
    const definite = await listOrphans(s.hub, s.project);
    assert.equal(definite.length, 1, JSON.stringify(definite));
    assert.equal(definite[0].id, possible[0].id);
    assert.equal(definite[0].certainty, 'definite');
    assert.equal(definite[0].exchange_id, exchangeId);
    assert.equal(definite[0].link_session_id, s.linkSessionId);
    assert.equal(definite[0].removable, false, 'Plaid never gave the access token');
    assert.match(definite[0].reason, /INVALID_PUBLIC_TOKEN/);
    // linkhub never had its access token, so it cannot remove it; it says who can.
    const removal = await admin(s.hub.dataDir, s.hub.masterKey,
      ['items', 'remove-orphan', '--project', s.project.project_id, '--id', definite[0].id,
        '--plaid-base-url', s.emu.url, '--plaid-client-id', 'linkhub-demo-client', '--plaid-secret', 'x'],
      { binary: hubTestBinary }).then(() => null, (e) => e);
    assert.ok(removal, 'remove-orphan should fail');
    assert.match(removal.stderr, /Plaid support/);
    assert.ok(removal.stderr.includes(s.linkSessionId), removal.stderr);

    assert.deepEqual(await assertNoHalfLinkedAccount(s.hub, key), [], 'still no account after the retry');
    assert.equal((await liveExchangedItems(s.emu)).length, 1, 'the retry made no second Item');

    // The restarted hub is healthy: a fresh token for the same owner links normally.
    const fresh = await call(s.hub, 'POST', '/hub/accounts', {
      session: s.session.token,
      body: { credentials: { public_token: await sandboxPublicToken(s.emu, INSTITUTION) } },
    });
    assert.equal(fresh.status, 201, JSON.stringify(fresh.body));
    const accounts = await assertNoHalfLinkedAccount(s.hub, key);
    assert.deepEqual(accounts.map((a) => a.id), [fresh.body.id]);
  } finally {
    await s.cleanup();
  }
});

test('exchange.after_sending: outcome unknown until the retry, which links and clears it', async () => {
  const s = await crashAndRestart('exchange.after_sending');
  try {
    const key = s.project.api_key;
    assert.deepEqual(await liveExchangedItems(s.emu), [], 'Plaid was never called');
    assert.match(s.hub.stderr(), /outcome unknown: the process stopped after the token was sent to Plaid/);
    const possible = await listOrphans(s.hub, s.project);
    assert.equal(possible.length, 1, JSON.stringify(possible));
    assert.equal(possible[0].certainty, 'possible');

    const res = await resubmit(s);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const accounts = await assertNoHalfLinkedAccount(s.hub, key);
    assert.deepEqual(accounts.map((a) => a.id), [res.body.id]);
    assert.deepEqual((await liveExchangedItems(s.emu)).map((i) => i.item_id), [accounts[0].plaid.item_id]);
    assert.deepEqual(await listOrphans(s.hub, s.project), [], 'the retry settled it: no orphan');
  } finally {
    await s.cleanup();
  }
});

test('exchange.after_journal: the restarted hub stores the account from the journal', async () => {
  const s = await crashAndRestart('exchange.after_journal');
  try {
    const key = s.project.api_key;
    assert.match(s.hub.stderr(), /account acc_\w+ linked from the exchange journal/);
    const accounts = await assertNoHalfLinkedAccount(s.hub, key);
    assert.equal(accounts.length, 1, JSON.stringify(accounts));
    assert.equal(accounts[0].origin_owner_id, 'crash_owner');
    assert.equal(accounts[0].origin_owner_name, 'Crash Owner');
    const items = await liveExchangedItems(s.emu);
    assert.deepEqual(items.map((i) => i.item_id), [accounts[0].plaid.item_id], 'no orphan at Plaid');
    assert.deepEqual(await listOrphans(s.hub, s.project), []);

    const res = await resubmit(s);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.id, accounts[0].id);
    assert.equal((await liveExchangedItems(s.emu)).length, 1, 'no second Item');
    // The account works: an action reaches its Item.
    const rpc = await call(s.hub, 'POST', '/actions/rpc', {
      key, headers: { 'x-account-id': accounts[0].id }, body: { action: 'plaid_list_accounts' },
    });
    assert.equal(rpc.status, 200, JSON.stringify(rpc.body));
    // The journal holds nothing once settled, and never anything in the clear.
    const journal = fs.readFileSync(path.join(s.dataDir, 'exchange-journal'), 'utf8');
    assert.equal(journal, '', journal);
  } finally {
    await s.cleanup();
  }
});

for (const point of ['exchange.after_commit', 'exchange.after_details']) {
  test(`${point}: the account is whole after restart and the retry returns it`, async () => {
    const s = await crashAndRestart(point);
    try {
      const key = s.project.api_key;
      const accounts = await assertNoHalfLinkedAccount(s.hub, key);
      assert.equal(accounts.length, 1, JSON.stringify(accounts));
      const account = accounts[0];
      assert.equal(account.origin_owner_id, 'crash_owner');

      // (c) The live exchanged Items at Plaid are exactly the items of the hub's active accounts.
      const items = await liveExchangedItems(s.emu);
      assert.deepEqual(items.map((i) => i.item_id).sort(), accounts.map((a) => a.plaid.item_id).sort());

      const res = await resubmit(s);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.id, account.id);
      assert.equal(res.body.institution.name, INSTITUTION_NAME);
      assert.ok(res.body.accounts.length > 0);
      const after = await liveExchangedItems(s.emu);
      assert.equal(after.length, 1, 'no second Item');
      assert.equal(after[0].item_id, account.plaid.item_id);
      assert.deepEqual((await listAccounts(s.hub, key)).map((a) => a.id), [account.id]);

      // The account is usable: deleting it removes its Item at Plaid.
      const del = await call(s.hub, 'DELETE', `/accounts/${account.id}`, { key });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.deepEqual(await liveExchangedItems(s.emu), []);
    } finally {
      await s.cleanup();
    }
  });
}

test('exchange.after_commit with Link metadata: stored display fields survive, details are filled', async () => {
  const s = await crashAndRestart('exchange.after_commit', { withInstitution: true });
  try {
    const accounts = await assertNoHalfLinkedAccount(s.hub, s.project.api_key);
    assert.equal(accounts.length, 1);
    const items = await liveExchangedItems(s.emu);
    assert.deepEqual(items.map((i) => i.item_id), [accounts[0].plaid.item_id]);
    assert.deepEqual(accounts[0].plaid.products, ['transactions']);
  } finally {
    await s.cleanup();
  }
});

test('exchange.after_pending: the retry still meets the duplicate guard', async () => {
  // After the crash the user ran Link again and linked the same bank login with a new token; then
  // the page's retry of the first token arrives. The hub's rules apply to it as to any exchange:
  // same owner + institution + an account in common (and a multiple=false session whose owner has
  // an account) -> 409 with existing_account_id, checked before exchanging, so no second Item.
  const s = await crashAndRestart('exchange.after_pending', { withInstitution: true });
  try {
    const key = s.project.api_key;
    const metadata = {
      institution: { institution_id: INSTITUTION, name: INSTITUTION_NAME },
      accounts: [{ id: 'x', name: 'Plaid Checking', mask: '0000', type: 'depository', subtype: 'checking' }],
      link_session_id: `${s.linkSessionId}-again`,
    };
    s.body.metadata = { ...metadata, link_session_id: s.linkSessionId };
    const second = await call(s.hub, 'POST', '/hub/accounts', {
      session: s.session.token,
      body: { credentials: { public_token: await sandboxPublicToken(s.emu, INSTITUTION) }, metadata },
    });
    assert.equal(second.status, 201, JSON.stringify(second.body));

    const retry = await resubmit(s);
    assert.equal(retry.status, 409, `the resumed exchange linked the same login twice: ${JSON.stringify(retry.body)}`);
    assert.equal(retry.body.existing_account_id, second.body.id);
    const accounts = await assertNoHalfLinkedAccount(s.hub, key);
    assert.deepEqual(accounts.map((a) => a.id), [second.body.id]);
    const items = await liveExchangedItems(s.emu);
    assert.deepEqual(items.map((i) => i.item_id), [accounts[0].plaid.item_id], 'no second Item at Plaid');
  } finally {
    await s.cleanup();
  }
});

// A pending exchange older than the public token's 30 minutes is closed as failed at start-up.
// The hub reads the real clock, so the test ages the record instead: it moves the pending
// exchange's created_at 31 minutes back in the (stopped) hub's database with the sqlite3 shell,
// as if the process had died half an hour ago, and moves the emulator's clock the same way so the
// public token has expired there too. scripts/bootstrap installs the sqlite3 shell.
const sqlite3 = 'sqlite3';

test('a pending exchange older than 30 minutes is closed as failed at start-up', async () => {
    const emu = await newEmulator();
    const dataDir = newDataDir();
    const masterKey = newMasterKey();
    let hub = null;
    try {
      hub = await startTestHub(emu, { env: { LINKHUB_TEST_CRASH_AT: 'exchange.after_pending' }, dataDir, masterKey });
      const project = await createProject(hub, 'stale pending', { binary: hubTestBinary });
      const session = await connectSession(hub, project.api_key, { expires_in: 7200 });
      const publicToken = await sandboxPublicToken(emu, INSTITUTION);
      const linkSessionId = `lsid-stale-${Date.now()}`;
      const body = { credentials: { public_token: publicToken }, metadata: { link_session_id: linkSessionId } };
      const outcome = await call(hub, 'POST', '/hub/accounts', { session: session.token, body })
        .then((r) => ({ response: r }), (e) => ({ error: e }));
      assert.ok(outcome.error, JSON.stringify(outcome.response));
      const [, signal] = await hub.exited;
      assert.equal(signal, 'SIGKILL');
      hub = null;

      const db = path.join(dataDir, 'linkhub.db');
      const { stdout } = await execFileP(sqlite3, [db,
        "UPDATE pending_exchanges SET created_at = created_at - 1860 WHERE state = 'pending'; SELECT changes();"]);
      assert.equal(stdout.trim(), '1', 'exactly one pending exchange to age');
      await emu.control('POST', '/emulator/clock/advance', { seconds: 1860 });

      hub = await startTestHub(emu, { dataDir, masterKey });
      const line = hub.stderr().split('\n').find((l) => l.includes('its public token has expired'));
      assert.ok(line, `no start-up line closing the stale exchange:\n${hub.stderr()}`);
      assert.match(line, /exchange exch_\w+/);
      assert.match(line, /never reached Plaid/, 'it was never sent: nothing to suspect');
      assert.ok(line.includes(linkSessionId), line);
      assert.deepEqual(await listOrphans(hub, project), []);

      assert.deepEqual(await listAccounts(hub, project.api_key), []);
      assert.deepEqual(await liveExchangedItems(emu), []);
      // The expired token's retry: a clear 400 telling the user to run Link again, no account.
      const res = await call(hub, 'POST', '/hub/accounts', { session: session.token, body });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.provider_errors?.[0]?.error_code, 'INVALID_PUBLIC_TOKEN', JSON.stringify(res.body));
      assert.match(res.body.message, /run Plaid Link again/);
      assert.deepEqual(await listAccounts(hub, project.api_key), []);
      assert.deepEqual(await liveExchangedItems(emu), []);
    } finally {
      try {
        if (hub) await hub.stop();
      } finally {
        await emu.stop();
      }
    }
  });
