// linkhub's command line: --help, the master key rules (refuse to start without one, reject a
// malformed one, --dev with a loud warning, --master-key-file), options from the environment and
// from a --config TOML file (proved by their effect on what reaches Plaid, read back from the
// emulator with /link/token/get, and on the auth links), missing Plaid credentials, and the admin
// commands: project create/list, api-key create/list/revoke, keys rotate/list/retire, all of which
// refuse --dev.
//
// Contract: the hub's API contract, "CLI" section; README.md.
//
// Run: node --test tests/node/hub_cli.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, emulatorBinary, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import {
  hubBinary, newDataDir, newMasterKey, call, connectSession, linkAccount, sandboxPublicToken,
  poll, executable, spawnHub, cleanEnv,
} from './lib/hub.mjs';

const REDIRECT_URI = 'https://app.example.com/oauth-return';

let emu;
let scratch;  // a directory for config and key files, and the working directory of every linkhub
              // run (so a default ./linkhub-data never lands in the repository)



// Runs linkhub to completion; resolves to {code, signal, stdout, stderr}. A run that outlives
// `timeoutMs` (e.g. a server that started when it should not have) is killed and reported.
async function run(args, { env = {}, timeoutMs = 10000 } = {}) {
  await poll(() => executable(hubBinary), 30000, 200);
  const child = spawn(hubBinary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env), cwd: scratch });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = once(child, 'exit');
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  const [code, signal] = await exited;
  clearTimeout(timer);
  assert.ok(!timedOut, `linkhub ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
  return { code, signal, stdout, stderr };
}

// An admin command that must succeed with the master key in LINKHUB_MASTER_KEY; resolves to its JSON.
async function admin(dataDir, masterKey, args) {
  const r = await run([...args, '--data-dir', dataDir], { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(r.code, 0, `linkhub ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

// An admin command that must fail: exit 1, a message on stderr, nothing on stdout.
async function adminFails(dataDir, masterKey, args, messagePattern) {
  const r = await run([...args, '--data-dir', dataDir], { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(r.code, 1, `linkhub ${args.join(' ')} should fail; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.equal(r.stdout, '');
  if (messagePattern) assert.match(r.stderr, messagePattern);
  return r;
}

// Starts `linkhub <args>` with exactly `env` (on top of a LINKHUB_-free environment) and waits for
// the listening line. Resolves to {url, stop(), stderr(), exited}; stop() requires exit 0.
async function serve(args, env = {}) {
  await poll(() => executable(hubBinary), 30000, 200);
  const hub = await spawnHub(hubBinary, args, { env: cleanEnv(env), cwd: scratch });
  const stopHub = hub.stop;
  // stdout must carry exactly the one listening line.
  hub.stop = async () => {
    await stopHub();
    assert.equal(hub.stdout(), `linkhub listening on ${hub.url}\n`,
                 'stdout must carry only the listening line');
  };
  return hub;
}

// The plain `serve` flags to reach the emulator (secret via the environment).
function plaidArgs() {
  return ['--plaid-base-url', emu.url, '--plaid-client-id', DEMO_CLIENT_ID];
}

// What the emulator recorded for the link token the hub created for `key`.
async function linkTokenSettings(hub, key) {
  const res = await call(hub, 'POST', '/plaid/link_token', { key, body: { origin_owner_id: 'cli_owner' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const got = await emu.plaid('/link/token/get', { link_token: res.body.link_token });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  return got.body.metadata;
}

before(async () => {
  await poll(() => executable(emulatorBinary), 30000, 200);
  emu = await startEmulator(['--transactions-initial-delay', '0', '--rate-limits', 'off']);
  scratch = newDataDir();  // under the test data root, so the suite's secret scan sees it too
});

after(async () => {
  await emu?.stop();
});

// ------------------------------------------------------------------------------------ help

test('--help lists every documented option', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  const options = [
    '--listen', '--data-dir', '--master-key-file', '--dev', '--config', '--public-url', '--log-level',
    '--plaid-env', '--plaid-base-url', '--plaid-client-id', '--plaid-secret', '--plaid-secret-file',
    '--plaid-products', '--plaid-optional-products', '--plaid-country-codes', '--plaid-language',
    '--plaid-client-name', '--plaid-redirect-uri', '--plaid-webhook-url', '--plaid-link-script-url',
    '--plaid-timeout',
  ];
  for (const o of options) {
    assert.match(r.stdout, new RegExp(`${o}\\b`), `--help does not mention ${o}`);
  }
  for (const sub of ['serve', 'project', 'api-key', 'keys']) {
    assert.match(r.stdout, new RegExp(`\\b${sub}\\b`), `--help does not mention ${sub}`);
  }
  assert.match(r.stdout, /LINKHUB_/, '--help should say options come from LINKHUB_* variables');
});

// ------------------------------------------------------------------------------ master key

test('serve without a master key refuses to start and names LINKHUB_MASTER_KEY', async () => {
  const dataDir = newDataDir();
  const r = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { env: { LINKHUB_PLAID_SECRET: DEMO_SECRET } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /LINKHUB_MASTER_KEY/);
  assert.doesNotMatch(r.stdout, /listening/);
  // An empty variable is no key either.
  const empty = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { env: { LINKHUB_PLAID_SECRET: DEMO_SECRET, LINKHUB_MASTER_KEY: '' } });
  assert.equal(empty.code, 1, empty.stderr);
  assert.match(empty.stderr, /LINKHUB_MASTER_KEY/);
});

test('a malformed master key is refused', async () => {
  const dataDir = newDataDir();
  const keyFile = path.join(scratch, 'short.key');
  fs.writeFileSync(keyFile, randomBytes(31).toString('base64') + '\n', { mode: 0o600 });
  const cases = [
    { env: { LINKHUB_MASTER_KEY: randomBytes(16).toString('base64') } },   // 16 bytes
    { env: { LINKHUB_MASTER_KEY: randomBytes(33).toString('base64') } },   // 33 bytes
    { env: { LINKHUB_MASTER_KEY: 'this is not base64 at all!!' } },
    { env: {}, args: ['--master-key-file', keyFile] },                       // 31 bytes in a file
  ];
  for (const c of cases) {
    const r = await run(
      ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs(), ...(c.args ?? [])],
      { env: { LINKHUB_PLAID_SECRET: DEMO_SECRET, ...c.env } });
    assert.equal(r.code, 1, `${JSON.stringify(c)}: ${r.stderr}`);
    assert.match(r.stderr, /32 bytes/, JSON.stringify(c));
    assert.doesNotMatch(r.stdout, /listening/);
    // Admin commands refuse it too.
    const a = await run(['project', 'list', '--data-dir', dataDir, ...(c.args ?? [])], { env: c.env });
    assert.equal(a.code, 1, a.stderr);
    assert.match(a.stderr, /32 bytes/);
  }
  const missingFile = await run(['project', 'list', '--data-dir', dataDir,
    '--master-key-file', path.join(scratch, 'no-such.key')]);
  assert.equal(missingFile.code, 1);
  assert.match(missingFile.stderr, /no-such\.key/);
});

test('--dev starts with a loud warning and serves', async () => {
  const dataDir = newDataDir();
  const hub = await serve(['serve', '--dev', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { LINKHUB_PLAID_SECRET: DEMO_SECRET });
  try {
    assert.match(hub.stderr(), /DEV MODE/);
    assert.match(hub.stderr(), /ephemeral/i);
    assert.match(hub.stderr(), /\[warn/);
    // It serves: the management API answers (401 without a key) in StackOne's error shape.
    const res = await call(hub, 'GET', '/accounts');
    assert.equal(res.status, 401);
    assert.equal(res.body.statusCode, 401);
    const hubRes = await call(hub, 'POST', '/hub/accounts', { session: 'lhcs_nope', body: {} });
    assert.equal(hubRes.status, 401);
  } finally {
    await hub.stop();
  }
});

test('LINKHUB_DEV without --data-dir uses a throwaway directory', async () => {
  // The flag from the environment, and the secret as a command-line flag.
  const hub = await serve(['serve', '--listen', '127.0.0.1:0', ...plaidArgs(), '--plaid-secret', DEMO_SECRET],
    { LINKHUB_DEV: 'true' });
  let dir;
  try {
    assert.match(hub.stderr(), /DEV MODE/);
    const m = hub.stderr().match(/dev mode: data in (\S+)/);
    assert.ok(m, hub.stderr());
    dir = m[1];
    assert.ok(fs.existsSync(path.join(dir, 'linkhub.db')));
    assert.equal((await call(hub, 'GET', '/connectors/meta')).status, 401);
  } finally {
    await hub.stop();
    if (dir?.startsWith('/tmp/linkhub-dev-')) fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--master-key-file works for serve and admin; another key cannot open the data', async () => {
  const dataDir = newDataDir();
  const keyFile = path.join(scratch, 'master.key');
  fs.writeFileSync(keyFile, newMasterKey() + '\n', { mode: 0o600 });
  const created = await run(['project', 'create', '--name', 'File key', '--data-dir', dataDir,
    '--master-key-file', keyFile]);
  assert.equal(created.code, 0, created.stderr);
  const project = JSON.parse(created.stdout);

  const hub = await serve(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--master-key-file', keyFile, ...plaidArgs()], { LINKHUB_PLAID_SECRET: DEMO_SECRET });
  let account;
  try {
    account = await linkAccount(hub, emu, project.api_key);
    const got = await call(hub, 'GET', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(typeof got.body.plaid.item_id, 'string');
  } finally {
    await hub.stop();
  }
  // LINKHUB_MASTER_KEY_FILE names the file too; the restarted hub opens the stored token.
  const again = await serve(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { LINKHUB_MASTER_KEY_FILE: keyFile, LINKHUB_PLAID_SECRET: DEMO_SECRET });
  try {
    const del = await call(again, 'DELETE', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(del.status, 200, JSON.stringify(del.body));
  } finally {
    await again.stop();
  }

  // The same data with a different master key: refused, for serve and for admin commands.
  const wrong = newMasterKey();
  const s = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { env: { LINKHUB_MASTER_KEY: wrong, LINKHUB_PLAID_SECRET: DEMO_SECRET } });
  assert.equal(s.code, 1, s.stderr);
  assert.ok(s.stderr.length > 0);
  await adminFails(dataDir, wrong, ['keys', 'list']);
});

// ------------------------------------------------------------------ options from env / file

test('every option can come from LINKHUB_* environment variables', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const env = {
    LINKHUB_MASTER_KEY: masterKey,
    LINKHUB_LISTEN: '127.0.0.1:0',
    LINKHUB_DATA_DIR: dataDir,
    LINKHUB_PUBLIC_URL: 'https://hub.env.example/',
    LINKHUB_PLAID_ENV: 'production',    // recorded on accounts; the base URL below wins
    LINKHUB_PLAID_BASE_URL: emu.url,
    LINKHUB_PLAID_CLIENT_ID: DEMO_CLIENT_ID,
    LINKHUB_PLAID_SECRET: DEMO_SECRET,
    LINKHUB_PLAID_CLIENT_NAME: 'Env Client',
    LINKHUB_PLAID_PRODUCTS: 'auth,transactions',
    LINKHUB_PLAID_OPTIONAL_PRODUCTS: 'identity',
    LINKHUB_PLAID_COUNTRY_CODES: 'US,CA',
    LINKHUB_PLAID_LANGUAGE: 'fr',
    LINKHUB_PLAID_REDIRECT_URI: REDIRECT_URI,
    LINKHUB_PLAID_WEBHOOK_URL: 'https://hooks.env.example/plaid',
    LINKHUB_PLAID_LINK_SCRIPT_URL: 'https://cdn.env.example/link-initialize.js',
    LINKHUB_PLAID_TIMEOUT: '1',
    LINKHUB_LOG_LEVEL: 'info',
  };
  const hub = await serve(['serve'], env);
  try {
    const project = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Env']);
    const session = await connectSession(hub, project.api_key);
    assert.equal(session.auth_link_url,
      `https://hub.env.example/embedded/integrations?token=${encodeURIComponent(session.token)}`);

    const settings = await linkTokenSettings(hub, project.api_key);
    assert.equal(settings.client_name, 'Env Client');
    assert.deepEqual(settings.initial_products, ['auth', 'transactions']);
    assert.deepEqual(settings.country_codes, ['US', 'CA']);
    assert.equal(settings.language, 'fr');
    assert.equal(settings.redirect_uri, REDIRECT_URI);
    // The override is the base: the project is in the path Plaid posts to.
    assert.equal(settings.webhook, `https://hooks.env.example/plaid/webhooks/plaid/${project.project_id}`);

    const hubToken = await call(hub, 'POST', '/hub/plaid/link_token', { session: session.token });
    assert.equal(hubToken.status, 200, JSON.stringify(hubToken.body));
    assert.equal(hubToken.body.link_script_url, 'https://cdn.env.example/link-initialize.js');

    const meta = await call(hub, 'GET', '/connectors/meta/plaid', { key: project.api_key });
    assert.deepEqual(Object.keys(meta.body.models).sort(), ['auth', 'identity', 'transactions']);

    // LINKHUB_PLAID_ENV=production is recorded on linked accounts.
    const account = await linkAccount(hub, emu, project.api_key);
    const got = await call(hub, 'GET', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(got.body.plaid.environment, 'production');

    // LINKHUB_PLAID_TIMEOUT=1: a Plaid call that takes longer is abandoned with a gateway timeout.
    await emu.control('POST', '/emulator/faults', { endpoint: '/link/token/create', count: 1, delay_ms: 2500 });
    const slow = await call(hub, 'POST', '/plaid/link_token', { key: project.api_key, body: { origin_owner_id: 'x' } });
    assert.equal(slow.status, 504, JSON.stringify(slow.body));
    assert.equal(slow.body.statusCode, 504);
  } finally {
    await hub.stop();
  }
});

test('options come from a --config TOML file with flat keys', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  // The secret file is the operator's, not linkhub's data: keep it out of the scanned root.
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkhub-secret-'));
  after(() => fs.rmSync(secretDir, { recursive: true, force: true }));
  const secretFile = path.join(secretDir, 'plaid.secret');
  fs.writeFileSync(secretFile, DEMO_SECRET + '\n', { mode: 0o600 });
  const config = path.join(scratch, 'linkhub.toml');
  fs.writeFileSync(config, [
    '# linkhub configuration',
    'listen = "127.0.0.1:0"',
    `data-dir = "${dataDir}"`,
    'public-url = "https://hub.config.example"',
    'log-level = "warn"',
    `plaid-base-url = "${emu.url}"`,
    `plaid-client-id = "${DEMO_CLIENT_ID}"`,
    `plaid-secret-file = "${secretFile}"`,
    'plaid-client-name = "Config Client"',
    'plaid-products = "transactions,liabilities"',
    'plaid-country-codes = "US"',
    'plaid-language = "es"',
    'plaid-webhook-url = "https://hooks.config.example/plaid"',
    '',
  ].join('\n'));
  const hub = await serve(['serve', '--config', config], { LINKHUB_MASTER_KEY: masterKey });
  try {
    // log-level warn: no info lines (the start-up "data in ..." line is info).
    assert.doesNotMatch(hub.stderr(), /\[info\]/);
    const project = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Config']);
    const session = await connectSession(hub, project.api_key);
    assert.equal(session.auth_link_url,
      `https://hub.config.example/embedded/integrations?token=${encodeURIComponent(session.token)}`);
    const settings = await linkTokenSettings(hub, project.api_key);
    assert.equal(settings.client_name, 'Config Client');
    assert.deepEqual(settings.initial_products, ['transactions', 'liabilities']);
    assert.deepEqual(settings.country_codes, ['US']);
    assert.equal(settings.language, 'es');
    assert.equal(settings.webhook, `https://hooks.config.example/plaid/webhooks/plaid/${project.project_id}`);
    // The secret from plaid-secret-file reached Plaid: an exchange works.
    const res = await call(hub, 'POST', '/hub/accounts', {
      session: session.token,
      body: { credentials: { public_token: await sandboxPublicToken(emu, 'ins_109508', ['transactions', 'liabilities']) } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  } finally {
    await hub.stop();
  }

  // The config file also reaches the admin commands (data-dir from the file).
  const viaConfig = await run(['project', 'list', '--config', config], { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(viaConfig.code, 0, viaConfig.stderr);
  assert.deepEqual(JSON.parse(viaConfig.stdout).map((p) => p.name), ['Config']);
});

test('LINKHUB_CONFIG names the config file like --config', async () => {
  // --help advertises "--config (Env:LINKHUB_CONFIG)" and every option comes from LINKHUB_<OPTION>.
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  await admin(dataDir, masterKey, ['project', 'create', '--name', 'From LINKHUB_CONFIG']);
  const config = path.join(scratch, 'env-config.toml');
  fs.writeFileSync(config, `data-dir = "${dataDir}"\n`);
  const viaEnv = await run(['project', 'list'], { env: { LINKHUB_MASTER_KEY: masterKey, LINKHUB_CONFIG: config } });
  const defaultDir = path.join(scratch, 'linkhub-data');
  const strayDefault = fs.existsSync(defaultDir);
  fs.rmSync(defaultDir, { recursive: true, force: true });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.deepEqual(JSON.parse(viaEnv.stdout).map((p) => p.name), ['From LINKHUB_CONFIG'],
    'LINKHUB_CONFIG was ignored: the command used the default data dir');
  assert.ok(!strayDefault, 'a default ./linkhub-data was created instead of using the configured data dir');
});

test('missing Plaid credentials: exit 1 with a clear message', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const noClientId = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--plaid-base-url', emu.url], { env: { LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET } });
  assert.equal(noClientId.code, 1, noClientId.stderr);
  assert.match(noClientId.stderr, /Plaid credentials/);
  assert.match(noClientId.stderr, /--plaid-client-id/);

  const noSecret = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(noSecret.code, 1, noSecret.stderr);
  assert.match(noSecret.stderr, /Plaid credentials/);
  assert.match(noSecret.stderr, /secret/i);

  const missingSecretFile = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs(),
    '--plaid-secret-file', path.join(scratch, 'absent.secret')], { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(missingSecretFile.code, 1, missingSecretFile.stderr);
  assert.match(missingSecretFile.stderr, /absent\.secret/);

  const badProduct = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs(),
    '--plaid-products', 'transactions,telepathy'],
  { env: { LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET } });
  assert.equal(badProduct.code, 1, badProduct.stderr);
  assert.match(badProduct.stderr, /telepathy/);

  const badEnv = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs(),
    '--plaid-env', 'staging'], { env: { LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET } });
  assert.notEqual(badEnv.code, 0, badEnv.stderr);
  assert.doesNotMatch(badEnv.stdout, /listening/);
});

// ------------------------------------------------------------------------------ admin

test('project create and list', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const a = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Alpha']);
  assert.match(a.project_id, /^proj_/);
  assert.equal(a.name, 'Alpha');
  assert.equal(typeof a.organization_id, 'number');
  assert.match(a.api_key_id, /^key_/);
  assert.equal(typeof a.api_key, 'string');
  assert.ok(a.api_key.length >= 32);
  const b = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Beta']);
  assert.notEqual(b.project_id, a.project_id);
  assert.notEqual(b.organization_id, a.organization_id);
  assert.notEqual(b.api_key, a.api_key);

  const r = await run(['project', 'list', '--data-dir', dataDir], { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout);
  assert.deepEqual(list.map((p) => [p.project_id, p.name, p.organization_id]),
    [[a.project_id, 'Alpha', a.organization_id], [b.project_id, 'Beta', b.organization_id]]);
  for (const p of list) assert.ok(!Number.isNaN(Date.parse(p.created_at)));
  assert.ok(!r.stdout.includes(a.api_key) && !r.stdout.includes(b.api_key), 'project list must not show keys');

  // A usage error (CLI11's own exit code, not 1) names the missing option.
  const usage = await run(['project', 'create', '--data-dir', dataDir], { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.notEqual(usage.code, 0);
  assert.match(usage.stderr, /--name/);
  assert.equal((await admin(dataDir, masterKey, ['project', 'list'])).length, 2);
});

test('api-key create, list (prefix only) and revoke', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const p1 = await admin(dataDir, masterKey, ['project', 'create', '--name', 'P1']);
  const p2 = await admin(dataDir, masterKey, ['project', 'create', '--name', 'P2']);
  const k2 = await admin(dataDir, masterKey, ['api-key', 'create', '--project', p1.project_id, '--label', 'ci']);
  assert.equal(k2.project_id, p1.project_id);
  assert.match(k2.api_key_id, /^key_/);
  assert.notEqual(k2.api_key, p1.api_key);

  const r = await run(['api-key', 'list', '--project', p1.project_id, '--data-dir', dataDir],
    { env: { LINKHUB_MASTER_KEY: masterKey } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes(p1.api_key) && !r.stdout.includes(k2.api_key), 'the list must never show a key');
  const keys = JSON.parse(r.stdout);
  assert.deepEqual(keys.map((k) => k.id).sort(), [p1.api_key_id, k2.api_key_id].sort());
  const byId = Object.fromEntries(keys.map((k) => [k.id, k]));
  for (const [id, full] of [[p1.api_key_id, p1.api_key], [k2.api_key_id, k2.api_key]]) {
    const k = byId[id];
    assert.equal(typeof k.prefix, 'string');
    assert.ok(k.prefix.length >= 4 && k.prefix.length < full.length / 2, `prefix ${k.prefix}`);
    assert.ok(full.startsWith(k.prefix));
    assert.ok(!Number.isNaN(Date.parse(k.created_at)));
    assert.ok(!k.revoked_at, `not revoked yet: ${JSON.stringify(k)}`);
  }
  assert.equal(byId[k2.api_key_id].label, 'ci');

  const hub = await serve(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET });
  try {
    // Both keys of P1 work while the hub runs; P2's key sees its own project only.
    assert.equal((await call(hub, 'GET', '/accounts', { key: p1.api_key })).status, 200);
    assert.equal((await call(hub, 'GET', '/accounts', { key: k2.api_key })).status, 200);

    // Revoking P1's key through P2 fails and leaves it working.
    await adminFails(dataDir, masterKey, ['api-key', 'revoke', '--project', p2.project_id, '--id', k2.api_key_id],
      /not found/);
    assert.equal((await call(hub, 'GET', '/accounts', { key: k2.api_key })).status, 200);

    // Revoking it through its own project: 401 at once on the running hub.
    const revoked = await admin(dataDir, masterKey,
      ['api-key', 'revoke', '--project', p1.project_id, '--id', k2.api_key_id]);
    assert.equal(revoked.revoked, k2.api_key_id);
    const denied = await call(hub, 'GET', '/accounts', { key: k2.api_key });
    assert.equal(denied.status, 401);
    assert.equal(denied.body.statusCode, 401);
    const bearer = await call(hub, 'GET', '/accounts', { headers: { Authorization: `Bearer ${k2.api_key}` } });
    assert.equal(bearer.status, 401);
    assert.equal((await call(hub, 'GET', '/accounts', { key: p1.api_key })).status, 200);
    assert.equal((await call(hub, 'GET', '/accounts', { key: p2.api_key })).status, 200);
  } finally {
    await hub.stop();
  }

  const after = await admin(dataDir, masterKey, ['api-key', 'list', '--project', p1.project_id]);
  const k = after.find((x) => x.id === k2.api_key_id);
  assert.ok(k.revoked_at && !Number.isNaN(Date.parse(k.revoked_at)), JSON.stringify(k));
  assert.ok(!after.find((x) => x.id === p1.api_key_id).revoked_at);

  // A second revoke, an unknown key, an unknown project: errors.
  await adminFails(dataDir, masterKey, ['api-key', 'revoke', '--project', p1.project_id, '--id', k2.api_key_id]);
  await adminFails(dataDir, masterKey, ['api-key', 'revoke', '--project', p1.project_id, '--id', 'key_nope']);
  await adminFails(dataDir, masterKey, ['api-key', 'list', '--project', 'proj_nope']);
  await adminFails(dataDir, masterKey, ['api-key', 'create', '--project', 'proj_nope']);
});

test('keys rotate, list and retire', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const project = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Keys']);
  const [k1] = await admin(dataDir, masterKey, ['keys', 'list']);
  assert.equal(typeof k1.key_id, 'string');
  assert.equal(k1.active, true);
  assert.ok(!k1.retired_at);
  assert.ok(!Number.isNaN(Date.parse(k1.created_at)));

  // The active key cannot be retired.
  await adminFails(dataDir, masterKey, ['keys', 'retire', '--id', k1.key_id]);

  const hub = await serve(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET });
  try {
    const account = await linkAccount(hub, emu, project.api_key);
    const itemId = (await call(hub, 'GET', `/accounts/${account.id}`, { key: project.api_key })).body.plaid.item_id;
    assert.equal(typeof itemId, 'string');

    // K1 seals the account's access token and item id: retiring it fails and says why.
    const refused = await adminFails(dataDir, masterKey, ['keys', 'retire', '--id', k1.key_id]);
    assert.match(refused.stderr, new RegExp(k1.key_id));
    assert.match(refused.stderr, /still seals|stored values|rotate/);

    // Rotate (online, while the hub runs): a new active key, every value re-sealed.
    const rotated = await admin(dataDir, masterKey, ['keys', 'rotate']);
    assert.notEqual(rotated.active_key_id, k1.key_id);
    assert.ok(rotated.resealed >= 2, JSON.stringify(rotated));
    const listed = await admin(dataDir, masterKey, ['keys', 'list']);
    assert.deepEqual(listed.map((k) => [k.key_id, k.active]).sort(),
      [[k1.key_id, false], [rotated.active_key_id, true]].sort());

    // The running hub still opens the re-sealed values.
    const got = await call(hub, 'GET', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(got.body.plaid.item_id, itemId);

    // Now K1 seals nothing and can be retired; the new active one cannot.
    const retired = await admin(dataDir, masterKey, ['keys', 'retire', '--id', k1.key_id]);
    assert.equal(retired.retired, k1.key_id);
    const afterRetire = await admin(dataDir, masterKey, ['keys', 'list']);
    const old = afterRetire.find((k) => k.key_id === k1.key_id);
    assert.ok(old.retired_at && !Number.isNaN(Date.parse(old.retired_at)), JSON.stringify(old));
    await adminFails(dataDir, masterKey, ['keys', 'retire', '--id', rotated.active_key_id]);
    await adminFails(dataDir, masterKey, ['keys', 'retire', '--id', k1.key_id]);  // already retired
    await adminFails(dataDir, masterKey, ['keys', 'retire', '--id', 'nope']);

    // After the retirement the hub still reads the account and can delete it (uses the token).
    const again = await call(hub, 'GET', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(again.body.plaid.item_id, itemId);
    const del = await call(hub, 'DELETE', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(del.status, 200, JSON.stringify(del.body));
  } finally {
    await hub.stop();
  }

  // A restarted hub loads the remaining keys fine.
  const restarted = await serve(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...plaidArgs()],
    { LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET });
  try {
    const account = await linkAccount(restarted, emu, project.api_key);
    const got = await call(restarted, 'GET', `/accounts/${account.id}`, { key: project.api_key });
    assert.equal(typeof got.body.plaid.item_id, 'string');
  } finally {
    await restarted.stop();
  }
});

test('admin lists give null, not an empty string, for a time that has not happened', async () => {
  // api-key list's revoked_at and keys list's retired_at are timestamps; "not revoked" / "not
  // retired" must be JSON null (the code's TimeOrNull helper says so), not "" which no RFC 3339
  // parser accepts.
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const project = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Nulls']);
  const [apiKey] = await admin(dataDir, masterKey, ['api-key', 'list', '--project', project.project_id]);
  const [dataKey] = await admin(dataDir, masterKey, ['keys', 'list']);
  assert.deepEqual({ revoked_at: apiKey.revoked_at, retired_at: dataKey.retired_at },
    { revoked_at: null, retired_at: null });
});

test('every admin command refuses --dev', async () => {
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const project = await admin(dataDir, masterKey, ['project', 'create', '--name', 'Dev refusal']);
  const [key] = await admin(dataDir, masterKey, ['keys', 'list']);
  const commands = [
    ['project', 'create', '--name', 'X'],
    ['project', 'list'],
    ['api-key', 'create', '--project', project.project_id],
    ['api-key', 'list', '--project', project.project_id],
    ['api-key', 'revoke', '--project', project.project_id, '--id', project.api_key_id],
    ['keys', 'rotate'],
    ['keys', 'list'],
    ['keys', 'retire', '--id', key.key_id],
  ];
  for (const c of commands) {
    // With and without the real master key in the environment: --dev is refused either way.
    for (const env of [{ LINKHUB_MASTER_KEY: masterKey }, {}]) {
      const r = await run([...c, '--dev', '--data-dir', dataDir], { env });
      assert.equal(r.code, 1, `${c.join(' ')} --dev: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /--dev/);
    }
  }
  // Nothing changed.
  assert.deepEqual((await admin(dataDir, masterKey, ['project', 'list'])).map((p) => p.name), ['Dev refusal']);
  const keys = await admin(dataDir, masterKey, ['api-key', 'list', '--project', project.project_id]);
  assert.equal(keys.length, 1);
  assert.ok(!keys[0].revoked_at);
  const dataKeys = await admin(dataDir, masterKey, ['keys', 'list']);
  assert.deepEqual(dataKeys.map((k) => [k.key_id, k.active]), [[key.key_id, true]]);
});
