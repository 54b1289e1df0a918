// Starts build/bin/linkhub (or linkhub-test, the build with crash hooks) against an emulator, on
// a free loopback port with a fresh data directory, and offers small helpers to drive it.
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, DEMO_CLIENT_ID, DEMO_SECRET } from './emulator.mjs';

const execFileP = promisify(execFile);
export const hubBinary = process.env.LINKHUB_BIN || path.join(repoRoot, 'build', 'bin', 'linkhub');
export const hubTestBinary =
  process.env.LINKHUB_TEST_BIN || path.join(repoRoot, 'build', 'bin', 'linkhub-test');

// Every test data directory lives under this root, so the suite can scan them all afterwards for
// plaintext secrets (scripts/test does).
export const dataRoot = process.env.LINKHUB_TEST_DATA_ROOT || path.join(os.tmpdir(), 'linkhub-test-data');

export function newMasterKey() {
  return randomBytes(32).toString('base64');
}

export function newDataDir() {
  fs.mkdirSync(dataRoot, { recursive: true });
  return fs.mkdtempSync(path.join(dataRoot, 'hub-'));
}

// The test's environment without any LINKHUB_* variable, plus `extra`: a linkhub run on it sees
// only what the test gives it.
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('LINKHUB_')) env[k] = v;
  }
  return { ...env, ...extra };
}

// Runs a linkhub admin command on `dataDir`; resolves to its parsed JSON output.
export async function admin(dataDir, masterKey, args, { binary = hubBinary } = {}) {
  const { stdout } = await execFileP(binary, [...args, '--data-dir', dataDir], {
    env: { ...process.env, LINKHUB_MASTER_KEY: masterKey },
  });
  return JSON.parse(stdout);
}

// Polls `fn` until it returns a truthy value (returned) or `ms` pass (then the last value).
export async function poll(fn, ms = 5000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, every));
  }
}

export function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Spawns `binary args` with exactly `env` and waits for its listening line. Resolves to
// {url, process, stop(), kill(), stdout(), stderr(), exited}; stop() sends SIGTERM and requires a
// clean exit (a sanitizer report or a hang fails the test), kill() sends SIGKILL.
export async function spawnHub(binary, args, { env, cwd } = {}) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 4 << 20) stderr = stderr.slice(-(2 << 20));
  });
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = once(child, 'exit');
  const url = await new Promise((resolve, reject) => {
    const onData = () => {
      const m = stdout.match(/^linkhub listening on (http:\/\/127\.0\.0\.1:\d+)\n/m);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`linkhub exited with ${code ?? signal} before listening:\n${stderr}`)));
  });
  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      if (code !== 0) {
        throw new Error(`linkhub exited with ${code ?? signal} on SIGTERM:\n${stderr.slice(-4000)}`);
      }
      return code;
    }
    return child.exitCode;
  }
  async function kill() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  return { url, process: child, stop, kill, exited, stdout: () => stdout, stderr: () => stderr };
}

// Starts `linkhub serve` against `emulator` ({url}). Options: dataDir, masterKey (both fresh by
// default), args (extra flags), env (extra environment), binary. Resolves to spawnHub's object
// plus {dataDir, masterKey}.
export async function startHub(emulator, opts = {}) {
  const dataDir = opts.dataDir ?? newDataDir();
  const masterKey = opts.masterKey ?? newMasterKey();
  const binary = opts.binary ?? hubBinary;
  const args = [
    'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--plaid-base-url', emulator.url,
    '--plaid-client-id', DEMO_CLIENT_ID,
    '--plaid-link-script-url', `${emulator.url}/link/v2/stable/link-initialize.js`,
    ...(opts.args ?? []),
  ];
  const hub = await spawnHub(binary, args, {
    env: { ...process.env, LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET,
           ...(opts.env ?? {}) },
  });
  return { ...hub, dataDir, masterKey };
}

// Creates a project on a hub's data dir; resolves to {project_id, api_key, ...}.
export function createProject(hub, name = 'Test project', opts = {}) {
  return admin(hub.dataDir, hub.masterKey, ['project', 'create', '--name', name], opts);
}

// fetch() against the hub; `key` sends it as the Basic user name, `session` as the hub session
// token, `signal` may abort it. Resolves to {status, headers, body (parsed JSON when it is JSON)}.
export async function call(hub, method, p, { key, session, body, headers = {}, signal } = {}) {
  const h = { ...headers };
  if (key !== undefined) h.Authorization = 'Basic ' + Buffer.from(`${key}:`).toString('base64');
  if (session !== undefined) h['x-hub-session-token'] = session;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(hub.url + p, {
    method,
    signal,
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed };
}

// A fresh sandbox public_token from the emulator.
export async function sandboxPublicToken(emulator, institutionId = 'ins_109508',
                                         products = ['transactions'], options) {
  const res = await emulator.plaid('/sandbox/public_token/create', {
    institution_id: institutionId, initial_products: products, ...(options ? { options } : {}),
  });
  if (res.status !== 200) throw new Error(`public_token/create: ${JSON.stringify(res.body)}`);
  return res.body.public_token;
}

// Creates a connect session; resolves to the 201 body (with token).
export async function connectSession(hub, key, fields = {}, { signal } = {}) {
  const res = await call(hub, 'POST', '/connect_sessions', {
    key, signal, body: { origin_owner_id: 'cust_1', origin_owner_name: 'Acme', provider: 'plaid', ...fields },
  });
  if (res.status !== 201) throw new Error(`connect_sessions: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// Links an account through the Hub API with a fresh sandbox token; resolves to the 201 body.
export async function linkAccount(hub, emulator, key, { session, institutionId, metadata } = {}) {
  const s = session ?? (await connectSession(hub, key, { multiple: true })).token;
  const publicToken = await sandboxPublicToken(emulator, institutionId);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: s,
    body: { integration_id: 'plaid', credentials: { public_token: publicToken }, ...(metadata ? { metadata } : {}) },
  });
  if (res.status !== 201) throw new Error(`hub/accounts: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// Links a new account for `owner` at `institutionId` with `products` through the Hub API;
// resolves to the LinkedAccount as GET /accounts/{id} shows it (active, or this throws).
export async function linkWithProducts(hub, emulator, key, owner, products = ['transactions'],
                                       institutionId = 'ins_109508') {
  const s = await connectSession(hub, key, { origin_owner_id: owner, multiple: true });
  const publicToken = await sandboxPublicToken(emulator, institutionId, products);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: s.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  if (res.status !== 201) throw new Error(`hub/accounts: ${res.status} ${JSON.stringify(res.body)}`);
  const acc = await call(hub, 'GET', `/accounts/${res.body.id}`, { key });
  if (acc.status !== 200 || acc.body.status !== 'active') {
    throw new Error(`accounts/${res.body.id}: ${acc.status} ${JSON.stringify(acc.body)}`);
  }
  return acc.body;
}
