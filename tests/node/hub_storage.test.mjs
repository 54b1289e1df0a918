// What the hub keeps on disk. After linking accounts (including a failed exchange and a removed
// duplicate), creating connect sessions and API keys, and rotating the data key while the hub runs,
// every file of the data directory (linkhub.db, -wal, -shm, anything else) is scanned as raw bytes:
// no Plaid access token, no Plaid secret, no API key, no session token, no public token, no
// master key and no plaintext item_id may be there (item_ids only sealed). Then the key
// management commands (keys list / rotate / retire) and start-up with the right, a wrong, and no
// master key.
//
// Run: node --test tests/node/hub_storage.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import {
  startHub, admin, createProject, call, sandboxPublicToken, connectSession, newDataDir, newMasterKey,
  hubBinary,
} from './lib/hub.mjs';

let emu;
let hub;          // the running hub, if any (stopped in after() on failure)
let dataDir;
let masterKey;

// Everything that must never appear in the data directory in plaintext.
const secrets = { apiKeys: [], sessionTokens: [], publicTokens: [] };
// Account id -> {itemId, apiKey}, for every live account.
const expectedItems = new Map();
let oldKeyId;
let activeKeyId;

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off']);
  dataDir = newDataDir();
  masterKey = newMasterKey();
});

after(async () => {
  const results = await Promise.allSettled([hub?.stop(), emu?.stop()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

async function emuItems() {
  return (await emu.control('GET', '/emulator/items')).items;
}

// Links an account with a fresh token through a fresh session; records every secret it used.
async function link(apiKey, { owner, institutionId = 'ins_109508', expect = 201 } = {}) {
  const session = await connectSession(hub, apiKey, { origin_owner_id: owner, multiple: true });
  secrets.sessionTokens.push(session.token);
  const before = new Set((await emuItems()).map((i) => i.item_id));
  const publicToken = await sandboxPublicToken(emu, institutionId);
  secrets.publicTokens.push(publicToken);
  const item = (await emuItems()).find((i) => !before.has(i.item_id));
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: session.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, expect, JSON.stringify(res.body));
  if (res.status === 201) expectedItems.set(res.body.id, { itemId: item.item_id, apiKey });
  return { res, item, session, publicToken };
}

// Every live account, read one by one and listed per project, shows its item_id.
async function assertAccountsReadable() {
  for (const [id, { itemId, apiKey }] of expectedItems) {
    const r = await call(hub, 'GET', `/accounts/${id}`, { key: apiKey });
    assert.equal(r.status, 200, `${id}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.plaid.item_id, itemId, `${id}: item_id`);
    assert.equal(r.body.status, 'active');
  }
  const listed = [];
  for (const apiKey of [p1.api_key, p2.api_key]) {
    const list = await call(hub, 'GET', '/accounts?page_size=100', { key: apiKey });
    assert.equal(list.status, 200);
    for (const a of list.body) {
      assert.equal(a.plaid.item_id, expectedItems.get(a.id)?.itemId, `${a.id}: listed item_id`);
      listed.push(a.id);
    }
  }
  assert.deepEqual(listed.sort(), [...expectedItems.keys()].sort());
}

function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

// Scans every file of the data dir for every needle (as UTF-8 bytes, and the master key also as
// raw bytes); returns the findings.
function scan(needles) {
  const findings = [];
  const files = filesUnder(dataDir);
  assert.ok(files.some((f) => path.basename(f) === 'linkhub.db'), `no linkhub.db in ${files}`);
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    for (const [what, needle] of needles) {
      const b = Buffer.isBuffer(needle) ? needle : Buffer.from(needle, 'utf8');
      if (bytes.includes(b)) findings.push(`${path.basename(file)} holds ${what}`);
    }
  }
  return { files: files.map((f) => path.relative(dataDir, f)), findings };
}

// Positive control: what must be in the data dir (plain account ids, values sealed as
// "lh1:<key_id>:" under `activeKeyId`), so that an empty scan means something.
function assertScannerSeesData(activeKeyId) {
  const all = Buffer.concat(filesUnder(dataDir).map((f) => fs.readFileSync(f)));
  for (const id of expectedItems.keys()) assert.ok(all.includes(Buffer.from(id)), `account ${id} not found on disk`);
  assert.ok(all.includes(Buffer.from(`lh1:${activeKeyId}:`)), `no value sealed under ${activeKeyId}`);
}

async function allNeedles() {
  const needles = [
    ['an access token (access-sandbox-)', 'access-sandbox-'],
    ['the Plaid secret', DEMO_SECRET],
    ['the master key (base64)', masterKey],
    ['the master key (bytes)', Buffer.from(masterKey, 'base64')],
  ];
  for (const k of secrets.apiKeys) needles.push([`API key ${k.slice(0, 12)}…`, k]);
  for (const t of secrets.sessionTokens) needles.push([`session token ${t.slice(0, 10)}…`, t]);
  for (const t of secrets.publicTokens) needles.push([`public token ${t}`, t]);
  for (const i of await emuItems()) {
    if (i.exchanged) needles.push([`item_id ${i.item_id}`, i.item_id]);
  }
  return needles;
}

// Runs `linkhub serve` expecting it to refuse to start; resolves to {code, signal, stderr}.
function serveExpectingFailure(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(hubBinary, [
      'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
      '--plaid-base-url', emu.url, '--plaid-client-id', DEMO_CLIENT_ID,
    ], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('listening on')) {
        child.kill('SIGTERM');
        reject(new Error(`linkhub started although it should not have:\n${stderr}`));
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`linkhub neither started nor exited:\n${stderr}`));
    }, 20_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// The test environment without any master key source.
function envWithoutMasterKey(extra = {}) {
  const env = { ...process.env, LINKHUB_PLAID_SECRET: DEMO_SECRET, ...extra };
  for (const k of ['LINKHUB_MASTER_KEY', 'LINKHUB_MASTER_KEY_FILE', 'LINKHUB_DEV', 'LINKHUB_CONFIG']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

// Runs an admin command expected to fail; resolves to its stderr.
async function adminFails(args) {
  try {
    const out = await admin(dataDir, masterKey, args);
    assert.fail(`${args.join(' ')} succeeded: ${JSON.stringify(out)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.notEqual(e.code, 0);
    return String(e.stderr ?? e.message);
  }
}

// The tests below build on each other, in order.
let p1;
let p2;

test('link accounts, create sessions and keys, rotate the data key while the hub runs', async () => {
  hub = await startHub(emu, { dataDir, masterKey });
  p1 = await createProject(hub, 'storage one');
  p2 = await createProject(hub, 'storage two');
  secrets.apiKeys.push(p1.api_key, p2.api_key);
  const extraKey = await admin(dataDir, masterKey, ['api-key', 'create', '--project', p1.project_id, '--label', 'ci']);
  secrets.apiKeys.push(extraKey.api_key);
  const revokedKey = await admin(dataDir, masterKey, ['api-key', 'create', '--project', p2.project_id]);
  secrets.apiKeys.push(revokedKey.api_key);
  await admin(dataDir, masterKey, ['api-key', 'revoke', '--project', p2.project_id, '--id', revokedKey.api_key_id]);

  await link(p1.api_key, { owner: 'store-a', institutionId: 'ins_109508' });
  await link(extraKey.api_key, { owner: 'store-a', institutionId: 'ins_109509' });
  await link(p1.api_key, { owner: 'store-b', institutionId: 'ins_109510' });
  await link(p2.api_key, { owner: 'store-a', institutionId: 'ins_109508' });
  // A pasted duplicate: exchanged, then removed at Plaid and soft-deleted.
  const dup = await link(p1.api_key, { owner: 'store-a', institutionId: 'ins_109508', expect: 409 });
  assert.equal((await emuItems()).find((i) => i.item_id === dup.item.item_id).removed, true);
  // A failed exchange (Plaid 500) leaves a failed pending record behind.
  await emu.control('POST', '/emulator/faults', { endpoint: '/item/public_token/exchange',
                                                  error_code: 'INTERNAL_SERVER_ERROR', count: 1 });
  await link(p2.api_key, { owner: 'store-c', institutionId: 'ins_109511', expect: 502 });
  // A deleted account.
  const deleted = await link(p2.api_key, { owner: 'store-d', institutionId: 'ins_109512' });
  assert.equal((await call(hub, 'DELETE', `/accounts/${deleted.res.body.id}`, { key: p2.api_key })).status, 200);
  expectedItems.delete(deleted.res.body.id);
  // Sessions that were never used, and a re-link session.
  for (const owner of ['store-x', 'store-y']) {
    secrets.sessionTokens.push((await connectSession(hub, p1.api_key, { origin_owner_id: owner })).token);
  }
  const firstId = [...expectedItems.keys()][0];
  secrets.sessionTokens.push((await connectSession(hub, p1.api_key,
                                                   { origin_owner_id: 'store-a', account_id: firstId })).token);

  const keysBefore = await admin(dataDir, masterKey, ['keys', 'list']);
  assert.equal(keysBefore.length, 1);
  assert.equal(keysBefore[0].active, true);
  assert.ok(!keysBefore[0].retired_at);
  oldKeyId = keysBefore[0].key_id;

  // The key in use cannot be retired.
  const refused = await adminFails(['keys', 'retire', '--id', oldKeyId]);
  assert.match(refused, /rotate|still/);

  const rotated = await admin(dataDir, masterKey, ['keys', 'rotate']);
  assert.notEqual(rotated.active_key_id, oldKeyId);
  activeKeyId = rotated.active_key_id;
  // Two sealed values (access_token, item_id) per live account.
  assert.equal(rotated.resealed, 2 * expectedItems.size);

  const keysAfter = await admin(dataDir, masterKey, ['keys', 'list']);
  assert.equal(keysAfter.length, 2);
  assert.deepEqual(keysAfter.filter((k) => k.active).map((k) => k.key_id), [rotated.active_key_id]);
  assert.equal(keysAfter.find((k) => k.key_id === oldKeyId).active, false);

  // The running hub reads what the rotation re-sealed, and links under the new key.
  await assertAccountsReadable();
  const after = await link(p1.api_key, { owner: 'store-e', institutionId: 'ins_109511' });
  const fresh = await call(hub, 'GET', `/accounts/${after.res.body.id}`, { key: p1.api_key });
  assert.equal(fresh.body.plaid.item_id, after.item.item_id);
  // Re-link (update mode) still opens the access token.
  const lt = await call(hub, 'POST', '/plaid/link_token', { key: p1.api_key,
                                                           body: { origin_owner_id: 'store-e', account_id: after.res.body.id } });
  assert.equal(lt.status, 200, JSON.stringify(lt.body));

  // Nothing is sealed under the old key any more: it can be retired while the hub runs.
  const retired = await admin(dataDir, masterKey, ['keys', 'retire', '--id', oldKeyId]);
  assert.deepEqual(retired, { retired: oldKeyId });
  const keysRetired = await admin(dataDir, masterKey, ['keys', 'list']);
  assert.equal(keysRetired.length, 2);
  assert.ok(keysRetired.find((k) => k.key_id === oldKeyId).retired_at, 'retired_at not set');
  assert.equal(keysRetired.find((k) => k.key_id === rotated.active_key_id).active, true);
  // ...and the active one cannot.
  await adminFails(['keys', 'retire', '--id', rotated.active_key_id]);

  await assertAccountsReadable();
  // A delete after the rotation opens the access token and removes the Item at Plaid.
  const last = await link(p2.api_key, { owner: 'store-f', institutionId: 'ins_109510' });
  assert.equal((await call(hub, 'DELETE', `/accounts/${last.res.body.id}`, { key: p2.api_key })).status, 200);
  expectedItems.delete(last.res.body.id);
  assert.equal((await emuItems()).find((i) => i.item_id === last.item.item_id).removed, true);
});

test('no secret is stored in plaintext, neither while the hub runs nor after it stopped', async () => {
  const needles = await allNeedles();
  assert.ok(needles.length > 20, 'too few needles');
  const live = scan(needles);
  assert.deepEqual(live.findings, [], `while running (files: ${live.files.join(', ')})`);
  await hub.stop();
  hub = undefined;
  const stopped = scan(needles);
  assert.deepEqual(stopped.findings, [], `after stop (files: ${stopped.files.join(', ')})`);
  assertScannerSeesData(activeKeyId);
});

test('a restart with the same master key reads everything', async () => {
  hub = await startHub(emu, { dataDir, masterKey });
  await assertAccountsReadable();
  // The revoked key stays revoked; the others work.
  assert.equal((await call(hub, 'GET', '/accounts', { key: secrets.apiKeys[3] })).status, 401);
  assert.equal((await call(hub, 'GET', '/accounts', { key: secrets.apiKeys[2] })).status, 200);
  const more = await link(p2.api_key, { owner: 'store-g', institutionId: 'ins_109509' });
  assert.equal((await call(hub, 'GET', `/accounts/${more.res.body.id}`, { key: p2.api_key })).body.plaid.item_id,
               more.item.item_id);
  await hub.stop();
  hub = undefined;
  const again = scan(await allNeedles());
  assert.deepEqual(again.findings, []);
  assertScannerSeesData(activeKeyId);
});

test('a different master key is refused at start-up', async () => {
  const res = await serveExpectingFailure(envWithoutMasterKey({ LINKHUB_MASTER_KEY: newMasterKey() }));
  assert.notEqual(res.code, 0, `exit ${res.code ?? res.signal}`);
  assert.equal(res.signal, null, `killed by ${res.signal}:\n${res.stderr}`);
  assert.match(res.stderr, /master key/i);
  assert.ok(!res.stdout.includes('listening'));
  // Admin commands refuse it as well.
  await assert.rejects(admin(dataDir, newMasterKey(), ['keys', 'list']), /master key/i);
});

test('no master key and no --dev is refused with a message naming LINKHUB_MASTER_KEY', async () => {
  const res = await serveExpectingFailure(envWithoutMasterKey());
  assert.notEqual(res.code, 0, `exit ${res.code ?? res.signal}`);
  assert.equal(res.signal, null);
  assert.match(res.stderr, /LINKHUB_MASTER_KEY/);
  // A malformed master key is refused too.
  const bad = await serveExpectingFailure(envWithoutMasterKey({ LINKHUB_MASTER_KEY: 'c2hvcnQ=' }));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /master key/i);
});
