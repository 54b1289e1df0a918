// deploy/linkhub.service: systemd accepts it (systemd-analyze verify), its hardening scores as
// exposed no more than 2.0 of 10 (systemd-analyze security --offline), and its ExecStart, with
// the directories systemd would give it (the state directory, the credentials directory) and
// the configuration file of docs/operations.md, starts a linkhub that serves: the master key and
// the Plaid secret read from credential files, nothing secret on the command line.
//
// Run: node --test tests/node/deploy_unit.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import { hubBinary, newDataDir, newMasterKey, spawnHub, call, cleanEnv } from './lib/hub.mjs';

const execFileP = promisify(execFile);
const unitFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy',
  'linkhub.service');
const unit = fs.readFileSync(unitFile, 'utf8');

// The unit's ExecStart as arguments (continuation lines joined).
function execStart() {
  const joined = unit.replace(/\\\n/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('ExecStart='));
  return line.slice('ExecStart='.length).trim().split(/\s+/);
}

let emu;
let scratch;      // the unit's copy, the configuration and the state directory (scanned)
let credentials;  // systemd's credentials directory: secrets by design, so outside the scan
before(async () => {
  emu = await startEmulator();
  scratch = newDataDir();
  credentials = fs.mkdtempSync(path.join(os.tmpdir(), 'linkhub-credentials-'));
});
after(async () => {
  fs.rmSync(credentials, { recursive: true, force: true });
  await emu?.stop();
});

test('systemd accepts the unit and scores its hardening', async () => {
  // The unit names /usr/local/bin/linkhub; verify checks that the binary exists, so a copy names
  // the one just built.
  const copy = path.join(scratch, 'linkhub.service');
  fs.writeFileSync(copy, unit.replace('/usr/local/bin/linkhub', hubBinary));
  const verified = await execFileP('systemd-analyze', ['verify', copy]);
  assert.equal(verified.stderr.trim(), '');
  const security = await execFileP('systemd-analyze',
    ['security', '--offline=yes', '--threshold=20', copy]);  // threshold in tenths: 2.0
  const score = security.stdout.match(/Overall exposure level for linkhub\.service: ([\d.]+)/);
  assert.ok(score, security.stdout.slice(-400));
  assert.ok(Number(score[1]) <= 2.0, `exposure ${score[1]}`);
  for (const setting of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes',
    'LoadCredential=master-key:', 'StateDirectoryMode=0700']) {
    assert.ok(unit.includes(setting), setting);
  }
  assert.ok(!/LINKHUB_MASTER_KEY|Environment=.*SECRET/.test(unit), 'no secret in the environment');
});

test("the unit's ExecStart serves with its credentials and configuration", async () => {
  const state = path.join(scratch, 'state');
  fs.mkdirSync(state, { mode: 0o700 });
  fs.writeFileSync(path.join(credentials, 'master-key'), `${newMasterKey()}\n`, { mode: 0o400 });
  fs.writeFileSync(path.join(credentials, 'plaid-secret'), `${DEMO_SECRET}\n`, { mode: 0o400 });
  const config = path.join(scratch, 'linkhub.toml');
  fs.writeFileSync(config, [
    'listen = "127.0.0.1:0"',
    `plaid-base-url = "${emu.url}"`,
    `plaid-client-id = "${DEMO_CLIENT_ID}"`,
    `plaid-link-script-url = "${emu.url}/link/v2/stable/link-initialize.js"`,
    '',
  ].join('\n'));
  const args = execStart().slice(1).map((a) => a
    .replace('${STATE_DIRECTORY}', state)
    .replace('${CREDENTIALS_DIRECTORY}', credentials)
    .replace('/etc/linkhub/linkhub.toml', config));
  assert.ok(!args.some((a) => a.includes(DEMO_SECRET)));
  const env = cleanEnv();
  const hub = await spawnHub(hubBinary, args, { env });
  try {
    const ready = await call(hub, 'GET', '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.ok(fs.existsSync(path.join(state, 'linkhub.db')));
    // The Plaid secret from its credential file reaches Plaid: a link token is minted.
    const created = await execFileP(hubBinary, ['project', 'create', '--name', 'Unit',
      '--data-dir', state, '--master-key-file', path.join(credentials, 'master-key')], { env });
    const project = JSON.parse(created.stdout);
    const token = await call(hub, 'POST', '/plaid/link_token', {
      key: project.api_key, body: { origin_owner_id: 'cust_unit' },
    });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.match(token.body.link_token, /^link-sandbox-/);
  } finally {
    await hub.stop();
  }
});
