// `linkhub backup --to FILE` while the server serves, and the restore procedure of
// docs/operations.md: the copy, put in a new data directory as linkhub.db and served with the same
// master key, has the project, its API key and its linked accounts, whose sealed access tokens
// still open (an action runs on Plaid). The copy is the owner's alone (0600), never replaces a
// file, and opens nothing without the master key.
//
// Run: node --test tests/node/backup.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from './lib/emulator.mjs';
import {
  startHub, createProject, linkAccount, call, hubBinary, newDataDir, newMasterKey, cleanEnv,
} from './lib/hub.mjs';

const execFileP = promisify(execFile);

let emu;
let hub;
let project;
let account;
const stops = [];

// The traffic during the backup sends as many calls as the machine's speed allows: Plaid's per-Item
// limits (the emulator's and linkhub's own budget) are off, so that the restored server's call is
// never the one past them.
const noBudget = ['--plaid-rate-budget', 'off'];

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off']);
  hub = await startHub(emu, { args: noBudget });
  stops.push(hub);
  project = await createProject(hub, 'Backed up');
  account = await linkAccount(hub, emu, project.api_key);
});
after(async () => {
  const results = await Promise.allSettled([...stops.map((s) => s.stop()), emu?.stop()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

function backup(dataDir, to) {
  // No master key in the environment: the copy is of what is sealed at rest.
  return execFileP(hubBinary, ['backup', '--to', to, '--data-dir', dataDir], { env: cleanEnv() });
}

function rpc(target, key, accountId) {
  return call(target, 'POST', '/actions/rpc', {
    key, headers: { 'x-account-id': accountId }, body: { action: 'plaid_list_accounts' },
  });
}

test('a backup taken while the server serves restores to a working linkhub', async () => {
  const to = path.join(newDataDir(), 'linkhub-backup.db');
  // Actions keep the server busy (call log writes) while the copy is taken.
  let busy = true;
  const traffic = (async () => {
    let n = 0;
    while (busy) {
      const r = await rpc(hub, project.api_key, account.id);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      n++;
    }
    return n;
  })();
  const { stdout } = await backup(hub.dataDir, to);
  busy = false;
  assert.ok((await traffic) >= 1);

  const report = JSON.parse(stdout);
  assert.equal(report.backup, to);
  assert.equal(report.bytes, fs.statSync(to).size);
  assert.ok(Number.isInteger(report.schema_version) && report.schema_version >= 10, stdout);
  assert.ok(!Number.isNaN(Date.parse(report.started_at)));
  assert.equal(fs.statSync(to).mode & 0o777, 0o600);
  assert.ok(!fs.existsSync(`${to}.partial`));

  // The restore: a new data directory holding the copy as linkhub.db, the same master key.
  const restoredDir = newDataDir();
  fs.mkdirSync(restoredDir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(to, path.join(restoredDir, 'linkhub.db'));
  const restored = await startHub(emu, { dataDir: restoredDir, masterKey: hub.masterKey, args: noBudget });
  stops.push(restored);
  const list = await call(restored, 'GET', '/accounts', { key: project.api_key });
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.deepEqual(list.body.map((a) => a.id), [account.id]);
  const r = await rpc(restored, project.api_key, account.id);
  assert.equal(r.status, 200, JSON.stringify(r.body));  // the sealed access token opened
  assert.ok(r.body.data.accounts.length > 0);
});

test('a backup never replaces a file and names what is wrong', async () => {
  const dir = newDataDir();
  fs.mkdirSync(dir, { recursive: true });
  const to = path.join(dir, 'kept.db');
  fs.writeFileSync(to, 'precious');
  await assert.rejects(backup(hub.dataDir, to), (e) => {
    assert.equal(e.code, 1);
    assert.equal(e.stdout, '');
    assert.match(e.stderr, /exists: a backup never replaces a file/);
    return true;
  });
  assert.equal(fs.readFileSync(to, 'utf8'), 'precious');

  await assert.rejects(backup(path.join(dir, 'no-such-data-dir'), path.join(dir, 'x.db')), (e) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /no database at/);
    return true;
  });
  assert.ok(!fs.existsSync(path.join(dir, 'x.db')));
});

test('the copy opens nothing without its master key', async () => {
  const to = path.join(newDataDir(), 'linkhub-backup.db');
  await backup(hub.dataDir, to);
  const text = fs.readFileSync(to).toString('latin1');
  assert.ok(!text.includes(project.api_key), 'the API key itself is never stored');
  assert.ok(!/access-sandbox-/.test(text), 'access tokens are sealed in the copy too');

  const restoredDir = newDataDir();
  fs.mkdirSync(restoredDir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(to, path.join(restoredDir, 'linkhub.db'));
  await assert.rejects(startHub(emu, { dataDir: restoredDir, masterKey: newMasterKey() }),
    /is not the master key the data was written with/);
});
