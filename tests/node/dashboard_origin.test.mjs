// --dashboard-public-url: the operator dashboard on an origin of its own. The dashboard answers
// only on that host (its page elsewhere redirects there, its API is 404 elsewhere), a change must
// come from that origin (a page on the public origin — the Hub page, with Plaid's Link script —
// is refused), and the Hub page is never served on the dashboard's host. Both hosts reach one
// server here: the public URL is http://127.0.0.1:PORT, the dashboard http://localhost:PORT, and
// requests name the host they are for in their Host header.
//
// Run: node --test tests/node/dashboard_origin.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import { spawnHub, createProject, connectSession, hubBinary, cleanEnv, newDataDir, newMasterKey } from './lib/hub.mjs';

const execFileP = promisify(execFile);

let emu;
let hub;
let port;
let publicHost;
let dashboardHost;
let project;

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return p;
}

// One request to the server, for `host` (its Host header). Resolves to {status, headers, body}.
function request(host, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path,
      headers: { Host: host, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let parsed = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

before(async () => {
  emu = await startEmulator();
  port = await freePort();
  publicHost = `127.0.0.1:${port}`;
  dashboardHost = `localhost:${port}`;
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  hub = await spawnHub(hubBinary, [
    'serve', '--listen', publicHost, '--data-dir', dataDir, '--plaid-base-url', emu.url,
    '--plaid-client-id', DEMO_CLIENT_ID,
    '--plaid-link-script-url', `${emu.url}/link/v2/stable/link-initialize.js`,
    '--dashboard-public-url', `http://${dashboardHost}/`,
  ], { env: cleanEnv({ LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET }) });
  hub = { ...hub, dataDir, masterKey };
  project = await createProject(hub);
});
after(async () => {
  const results = await Promise.allSettled([hub?.stop(), emu?.stop()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

async function signIn() {
  const res = await request(dashboardHost, 'POST', '/dashboard/api/sign_in', {
    headers: { Origin: `http://${dashboardHost}` }, body: { api_key: project.api_key },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const cookie = String(res.headers['set-cookie']).split(';')[0];
  assert.match(cookie, /^linkhub_dashboard=/);
  return { cookie, csrf: res.body.csrf_token };
}

test('the dashboard answers on its own host; its page on the public host redirects there', async () => {
  const page = await request(dashboardHost, 'GET', '/dashboard');
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  const moved = await request(publicHost, 'GET', '/dashboard');
  assert.equal(moved.status, 308);
  assert.equal(moved.headers.location, `http://${dashboardHost}/dashboard`);
  // The rest of it is not there at all on the public host.
  for (const [method, path] of [['GET', '/dashboard/assets/dashboard.js'], ['GET', '/dashboard/api/session'],
    ['POST', '/dashboard/api/sign_in'], ['GET', '/dashboard/api/accounts']]) {
    const res = await request(publicHost, method, path, {
      headers: { Origin: `http://${publicHost}` }, body: method === 'POST' ? { api_key: project.api_key } : undefined,
    });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.body.statusCode, 404);
    assert.ok(res.body.message.includes(`http://${dashboardHost}/dashboard`), res.body.message);
    assert.equal(res.headers['set-cookie'], undefined);
  }
});

test('a signed-in operator: changes only from the dashboard origin, never from the public one', async () => {
  const { cookie, csrf } = await signIn();
  const session = await request(dashboardHost, 'GET', '/dashboard/api/session', { headers: { Cookie: cookie } });
  assert.equal(session.status, 200);
  // A script on the public origin (the Hub page's) with the operator's cookie and token: refused.
  const fromHubPage = await request(dashboardHost, 'POST', '/dashboard/api/connect_sessions', {
    headers: { Cookie: cookie, 'x-csrf-token': csrf, Origin: `http://${publicHost}` },
    body: { origin_owner_id: 'o1', origin_owner_name: 'O' },
  });
  assert.equal(fromHubPage.status, 403, JSON.stringify(fromHubPage.body));
  assert.match(fromHubPage.body.message, /cross-origin/);
  // The same request from the dashboard's own page is taken.
  const own = await request(dashboardHost, 'POST', '/dashboard/api/connect_sessions', {
    headers: { Cookie: cookie, 'x-csrf-token': csrf, Origin: `http://${dashboardHost}` },
    body: { origin_owner_id: 'o1', origin_owner_name: 'O' },
  });
  assert.equal(own.status, 201, JSON.stringify(own.body));
  // The link it makes points at the Hub page on the public URL.
  assert.ok(own.body.auth_link_url.startsWith(`http://${publicHost}/embedded/integrations?token=`), own.body.auth_link_url);
  // The cookie is worth nothing on the public host.
  const elsewhere = await request(publicHost, 'GET', '/dashboard/api/session', { headers: { Cookie: cookie } });
  assert.equal(elsewhere.status, 404);
});

test('the Hub page is served on the public host only', async () => {
  const { token } = await connectSession({ url: `http://${publicHost}` }, project.api_key);
  const path = `/embedded/integrations?token=${encodeURIComponent(token)}`;
  const onPublic = await request(publicHost, 'GET', path);
  assert.equal(onPublic.status, 200);
  assert.match(onPublic.headers['content-type'], /^text\/html/);
  const onDashboard = await request(dashboardHost, 'GET', path);
  assert.equal(onDashboard.status, 404);
  assert.match(onDashboard.headers['content-type'], /^application\/json/);
  assert.ok(onDashboard.body.message.includes(`http://${publicHost}`), onDashboard.body.message);
});

test('a dashboard URL on the public origin, or with a path, is refused at start-up', async () => {
  const dataDir = newDataDir();
  const env = cleanEnv({ LINKHUB_MASTER_KEY: newMasterKey(), LINKHUB_PLAID_SECRET: DEMO_SECRET });
  const common = ['serve', '--data-dir', dataDir, '--plaid-base-url', emu.url, '--plaid-client-id', DEMO_CLIENT_ID];
  const p2 = await freePort();
  for (const [url, expected] of [
    [`http://127.0.0.1:${p2}`, /another origin than the public URL/],
    [`http://127.0.0.1:${p2}/`, /another origin than the public URL/],
    [`http://localhost:${p2}/admin`, /without a path/],
    ['ftp://localhost', /--dashboard-public-url/],
  ]) {
    const run = execFileP(hubBinary, [...common, '--listen', `127.0.0.1:${p2}`, '--dashboard-public-url', url], { env });
    await assert.rejects(run, (e) => {
      assert.notEqual(e.code, 0);
      assert.match(e.stderr, expected, url);
      return true;
    });
  }
});
