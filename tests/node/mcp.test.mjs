// linkhub's MCP server (/mcp, Streamable HTTP with JSON answers) end to end: build/bin/linkhub in
// front of build/bin/plaid-emulator over loopback, driven by the official MCP TypeScript SDK
// (@modelcontextprotocol/sdk 1.32.2: Client + StreamableHTTPClientTransport) for all protocol
// traffic. Raw fetch is used only for what the SDK cannot send: missing or wrong credentials (to
// read WWW-Authenticate), a foreign Origin, GET, requests without or with a stale session id, a
// session id under another key, the older protocol versions, and POST /actions/search.
//
// What it checks:
// - authentication (Bearer and Basic, 401 with WWW-Authenticate and StackOne's error shape;
//   another project's or an unknown account 404 at initialize), the Origin check (403);
// - sessions: Mcp-Session-Id, 400 without one, 404 for an unknown, ended (DELETE) or borrowed one
//   (another key of the same project, another project's key), GET 405; protocol versions;
// - tools/list: one tool per action the account's products allow, with the catalogue's input
//   schema and the annotations; tools/call results against POST /actions/rpc for the same input
//   (data, offset paging in _meta["linkhub/next"], input errors, a suspended account), and an
//   unknown tool as a JSON-RPC error;
// - API keys limited to some actions or to read-only ones (CLI `api-key create --actions` /
//   `--read-only`), on MCP and on RPC;
// - tool-mode=search_execute (search_actions, execute_action) and POST /actions/search;
// - the call log's `via` (mcp / rpc) as the dashboard API shows it;
// - --mcp-redact identity (names, e-mails, phone numbers and streets masked over MCP, RPC intact).
//
// Contract: docs/mcp.md (and docs/api.md for the actions).
// Run: node --test tests/node/mcp.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport, StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startEmulator } from './lib/emulator.mjs';
import {
  startHub, createProject, call, admin, poll, linkWithProducts,
} from './lib/hub.mjs';

const PLATYPUS = 'ins_109508';
const ALL_DATES = { start_date: '2000-01-01', end_date: '2030-12-31' };
const LATEST = '2025-11-25';

let emu;
let hub;
let projectA;
let projectB;
let keyA;
let accA;       // project A, linked with ['transactions'] (linkAccount's default products)
let accB;       // project B, the same
let catalogue;  // Map action id -> GET /actions?include=operation_details entry

let ownerSeq = 0;
function newOwner(tag) {
  return `${tag}_${process.pid}_${++ownerSeq}`;
}

// Links a new account at First Platypus with `products` for a fresh owner.
function linkWith(h, apiKey, products = ['transactions']) {
  return linkWithProducts(h, emu, apiKey, newOwner('mcp'), products, PLATYPUS);
}

function basic(apiKey) {
  return 'Basic ' + Buffer.from(`${apiKey}:`).toString('base64');
}

// An SDK client connected to /mcp. `apiKey`/`accountId` null send no such header.
async function connectMcp({
  h = hub, apiKey = keyA, accountId = accA.id, scheme = 'bearer', mode, requestId,
} = {}) {
  const headers = {};
  if (requestId) headers['X-Request-Id'] = requestId;
  if (apiKey !== null) headers.Authorization = scheme === 'basic' ? basic(apiKey) : `Bearer ${apiKey}`;
  if (accountId !== null) headers['x-account-id'] = accountId;
  const url = new URL(h.url + '/mcp' + (mode ? `?tool-mode=${mode}` : ''));
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: 'linkhub-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, headers };
}

// connectMcp in a test: the client is closed when the test ends.
async function session(t, opts) {
  const s = await connectMcp(opts);
  t.after(() => s.client.close());
  return s;
}

// Expects connectMcp(opts) to be refused with HTTP `status`; returns the error body (StackOne's
// shape), which the SDK puts in its message.
async function connectRefused(opts, status) {
  let err;
  try {
    const { client } = await connectMcp(opts);
    await client.close();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `connect succeeded; expected HTTP ${status}`);
  assert.ok(err instanceof StreamableHTTPError, `expected a StreamableHTTPError, got ${err.name}: ${err.message}`);
  assert.equal(err.code, status, err.message);
  assert.ok(err.message.includes(String(status)), err.message);
  const m = err.message.match(/Error POSTing to endpoint: ([\s\S]*)$/);
  assert.ok(m, `no body in the SDK's error: ${err.message}`);
  const body = JSON.parse(m[1]);
  assertErrorBody(body, status);
  return body;
}

function assertErrorBody(body, status, messageRe) {
  assert.equal(typeof body, 'object', `error body is not JSON: ${body}`);
  assert.equal(body.statusCode, status, JSON.stringify(body));
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0, 'empty message');
  assert.equal(typeof body.timestamp, 'string');
  assert.ok(!Number.isNaN(Date.parse(body.timestamp)), `timestamp does not parse: ${body.timestamp}`);
  if (messageRe) assert.match(body.message, messageRe);
  return body;
}

// An HTTP answer {status, headers, body} with the StackOne error shape and `status`.
function assertError(res, status, messageRe) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body).slice(0, 2000)}`);
  return assertErrorBody(res.body, status, messageRe);
}

function initializeMessage(protocolVersion = LATEST, id = 1) {
  return {
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-fetch', version: '0' } },
  };
}

const toolsListMessage = (id = 2) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });

// A raw request to /mcp (for what the SDK cannot send); `apiKey`/`accountId` null send no such
// header. Resolves to {status, headers, body}.
async function mcpRaw(message, {
  h = hub, apiKey = keyA, accountId = accA.id, scheme = 'bearer', sessionId, protocolVersion,
  origin, method = 'POST', query = '',
} = {}) {
  const headers = { Accept: 'application/json, text/event-stream' };
  if (apiKey !== null) headers.Authorization = scheme === 'basic' ? basic(apiKey) : `Bearer ${apiKey}`;
  if (accountId !== null) headers['x-account-id'] = accountId;
  if (sessionId !== undefined) headers['Mcp-Session-Id'] = sessionId;
  if (protocolVersion !== undefined) headers['Mcp-Protocol-Version'] = protocolVersion;
  if (origin !== undefined) headers.Origin = origin;
  if (message !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(h.url + '/mcp' + query, {
    method, headers, body: message === undefined ? undefined : JSON.stringify(message),
  });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body };
}

// POST /actions/rpc on `accountId`.
function rpc(accountId, action, body, { apiKey = keyA, h = hub } = {}) {
  return call(h, 'POST', '/actions/rpc', {
    key: apiKey, headers: { 'x-account-id': accountId }, body: { action, ...(body !== undefined ? { body } : {}) },
  });
}

async function rpcOk(accountId, action, body, opts) {
  const res = await rpc(accountId, action, body, opts);
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 2000));
  return res.body;
}

// Every tool of tools/list, following nextCursor.
async function listTools(client) {
  const tools = [];
  let cursor;
  for (let i = 0; i < 20; i++) {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
    if (!cursor) return tools;
  }
  throw new Error('tools/list did not end');
}

// Asserts a successful tools/call result: content is exactly one text item, the JSON of
// structuredContent (`more`: further items may follow it, as for a paged result); returns
// structuredContent.
function assertToolOk(result, what, { more = false } = {}) {
  assert.notEqual(result.isError, true, `${what} failed: ${JSON.stringify(result.content)}`);
  assert.equal(result.isError, false, `${what}: isError is ${result.isError}`);
  assert.ok(Array.isArray(result.content) && result.content.length >= 1, `${what}: no content`);
  if (!more) {
    assert.equal(result.content.length, 1,
      `${what}: content has ${result.content.length} items: ${JSON.stringify(result.content.slice(1))}`);
  }
  assert.equal(result.content[0].type, 'text');
  assert.equal(typeof result.structuredContent, 'object');
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent,
    'the text is the JSON of structuredContent');
  return result.structuredContent;
}

// Asserts a tool error result; returns its text.
function assertToolError(result, what) {
  assert.equal(result.isError, true, `${what}: expected isError, got ${JSON.stringify(result).slice(0, 2000)}`);
  assert.ok(Array.isArray(result.content) && result.content.length >= 1);
  assert.equal(result.content[0].type, 'text');
  assert.equal(typeof result.content[0].text, 'string');
  assert.ok(result.content[0].text.length > 0);
  return result.content[0].text;
}

function withoutRequestId(data) {
  const { request_id: _ignored, ...rest } = data;
  return rest;
}

const accountIds = (accounts) => accounts.map((a) => a.account_id).sort();

// The actions GET /actions says `accountId` can run.
async function actionsFor(accountId, apiKey = keyA) {
  const res = await call(hub, 'GET', `/actions?filter[account_ids]=${accountId}&page_size=100`, { key: apiKey });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data.flatMap((c) => c.actions.map((a) => a.id)).sort();
}

// A dashboard session cookie for `apiKey` (the dashboard's own sign-in, from linkhub's origin).
async function dashboardCookie(apiKey) {
  const res = await fetch(hub.url + '/dashboard/api/sign_in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: hub.url },
    body: JSON.stringify({ api_key: apiKey }),
  });
  assert.equal(res.status, 200, await res.text());
  const m = (res.headers.get('set-cookie') ?? '').match(/linkhub_dashboard=([^;]+)/);
  assert.ok(m, 'no dashboard cookie');
  return m[1];
}

async function callLog(cookie, accountId) {
  const res = await fetch(`${hub.url}/dashboard/api/accounts/${accountId}/logs?limit=1000`, {
    headers: { Cookie: `linkhub_dashboard=${cookie}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).data;
}

// A new API key of `project` made with the CLI; resolves to its JSON output.
function createKey(project, extra = []) {
  return admin(hub.dataDir, hub.masterKey, ['api-key', 'create', '--project', project.project_id, ...extra]);
}

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off', '--transactions-initial-delay', '0',
                             '--transactions-historical-delay', '0']);
  hub = await startHub(emu, { args: ['--plaid-rate-budget', 'off'] });
  projectA = await createProject(hub, 'MCP project A');
  projectB = await createProject(hub, 'MCP project B');
  keyA = projectA.api_key;
  accA = await linkWith(hub, keyA);
  accB = await linkWith(hub, projectB.api_key);
  const res = await call(hub, 'GET', '/actions?include=operation_details&page_size=100', { key: keyA });
  assert.equal(res.status, 200);
  catalogue = new Map(res.body.data.flatMap((c) => c.actions).map((a) => [a.id, a]));
  assert.ok(catalogue.size >= 13);
});

after(async () => {
  const results = await Promise.allSettled([hub?.stop()]);
  results.push(...(await Promise.allSettled([emu?.stop()])));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

// ------------------------------------------------------------------------------------------------

describe('authentication and transport', () => {
  test('initialize: session id, protocol 2025-11-25, serverInfo linkhub, tools capability; Basic works too', async (t) => {
    const { client, transport } = await session(t);
    assert.equal(typeof transport.sessionId, 'string');
    assert.ok(transport.sessionId.length > 0);
    assert.equal(transport.protocolVersion, LATEST);
    assert.equal(client.getServerVersion().name, 'linkhub');
    assert.ok(client.getServerCapabilities().tools, 'capabilities.tools');
    assert.ok((await listTools(client)).length > 0);

    const b = await session(t, { scheme: 'basic' });
    assert.equal(typeof b.transport.sessionId, 'string');
    assert.notEqual(b.transport.sessionId, transport.sessionId, 'each initialize opens its own session');
    assert.ok((await listTools(b.client)).some((tool) => tool.name === 'plaid_list_accounts'));

    // The answer is plain JSON, never an event stream.
    const raw = await mcpRaw(initializeMessage());
    assert.equal(raw.status, 200, JSON.stringify(raw.body));
    assert.match(raw.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(raw.headers.get('mcp-session-id'));
    assert.equal(raw.body.result.protocolVersion, LATEST);
  });

  test('the older protocol versions 2025-06-18 and 2025-03-26 are negotiated as asked', async () => {
    for (const version of ['2025-06-18', '2025-03-26']) {
      const init = await mcpRaw(initializeMessage(version));
      assert.equal(init.status, 200, `${version}: ${JSON.stringify(init.body)}`);
      assert.equal(init.body.result.protocolVersion, version);
      assert.equal(init.body.result.serverInfo.name, 'linkhub');
      const sessionId = init.headers.get('mcp-session-id');
      assert.ok(sessionId, `${version}: no Mcp-Session-Id`);
      const notified = await mcpRaw({ jsonrpc: '2.0', method: 'notifications/initialized' },
        { sessionId, protocolVersion: version });
      assert.equal(notified.status, 202, `${version}: notifications/initialized -> ${notified.status}`);
      const list = await mcpRaw(toolsListMessage(), { sessionId, protocolVersion: version });
      assert.equal(list.status, 200, `${version}: ${JSON.stringify(list.body)}`);
      assert.ok(list.body.result.tools.some((tool) => tool.name === 'plaid_list_accounts'), version);
    }
  });

  test('missing key, wrong key or missing x-account-id: 401 with WWW-Authenticate', async () => {
    await connectRefused({ apiKey: null }, 401);
    await connectRefused({ apiKey: 'lh_live_not-a-real-key-0000000000000000000' }, 401);
    await connectRefused({ accountId: null }, 401);

    const missing = await mcpRaw(initializeMessage(), { apiKey: null });
    assertError(missing, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm="linkhub"/);
    assert.doesNotMatch(missing.headers.get('www-authenticate'), /invalid_token/);

    for (const scheme of ['bearer', 'basic']) {
      const wrong = await mcpRaw(initializeMessage(), { apiKey: 'lh_live_not-a-real-key-0000000000000000000', scheme });
      assertError(wrong, 401);
      const challenge = wrong.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer realm="linkhub"/, scheme);
      assert.match(challenge, /error="invalid_token"/, scheme);
    }

    const noAccount = await mcpRaw(initializeMessage(), { accountId: null });
    assertError(noAccount, 401);
    assert.match(noAccount.headers.get('www-authenticate') ?? '', /^Bearer realm="linkhub"/);
  });

  test('an unknown account or another project\'s is 404 at initialize', async () => {
    const unknown = await connectRefused({ accountId: 'acc_doesnotexist' }, 404);
    assert.match(unknown.message, /account/i);
    // Project B's key with project A's account, and the other way round.
    const foreign = await connectRefused({ apiKey: projectB.api_key, accountId: accA.id }, 404);
    assert.match(foreign.message, /account/i);
    await connectRefused({ apiKey: keyA, accountId: accB.id }, 404);
    // Each key with its own account works.
    const { client } = await connectMcp({ apiKey: projectB.api_key, accountId: accB.id });
    assert.ok((await listTools(client)).length > 0);
    await client.close();
  });

  test('an Origin other than linkhub\'s own is refused with 403', async () => {
    const evil = await mcpRaw(initializeMessage(), { origin: 'https://evil.example' });
    assert.equal(evil.status, 403, JSON.stringify(evil.body));
    assert.equal(evil.headers.get('mcp-session-id'), null, 'no session for a refused request');
    const own = await mcpRaw(initializeMessage(), { origin: hub.url });
    assert.equal(own.status, 200, `linkhub's own origin: ${JSON.stringify(own.body)}`);
  });

  test('GET is 405 with Allow; a request without a session is 400, with an unknown one 404', async (t) => {
    const get = await mcpRaw(undefined, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.match(get.headers.get('allow') ?? '', /POST/);

    const noSession = await mcpRaw(toolsListMessage(), { protocolVersion: LATEST });
    assert.equal(noSession.status, 400, JSON.stringify(noSession.body));
    const unknown = await mcpRaw(toolsListMessage(), { sessionId: 'no-such-session-0123456789', protocolVersion: LATEST });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));

    // The same raw request with a live session id works (so the 400 and 404 are about the id).
    const { transport } = await session(t);
    const live = await mcpRaw(toolsListMessage(), { sessionId: transport.sessionId, protocolVersion: LATEST });
    assert.equal(live.status, 200, JSON.stringify(live.body));
    assert.ok(Array.isArray(live.body.result.tools));
  });

  test('terminateSession (DELETE) ends the session: its id is 404 afterwards', async () => {
    const { client, transport } = await connectMcp();
    const sessionId = transport.sessionId;
    const before = await mcpRaw(toolsListMessage(), { sessionId, protocolVersion: LATEST });
    assert.equal(before.status, 200, JSON.stringify(before.body));
    await transport.terminateSession();
    assert.equal(transport.sessionId, undefined, 'the SDK saw the DELETE succeed');
    const afterwards = await mcpRaw(toolsListMessage(), { sessionId, protocolVersion: LATEST });
    assert.equal(afterwards.status, 404, JSON.stringify(afterwards.body));
    await client.close();
  });

  test('a session is bound to its API key: another key of the project or another project\'s key gets 404', async (t) => {
    const { transport } = await session(t);
    const sessionId = transport.sessionId;
    const second = await createKey(projectA);
    assert.equal(typeof second.api_key, 'string');
    // The second key itself is fine on a session of its own.
    const own = await session(t, { apiKey: second.api_key });
    assert.ok((await listTools(own.client)).length > 0);

    const borrowed = await mcpRaw(toolsListMessage(), { apiKey: second.api_key, sessionId, protocolVersion: LATEST });
    assert.equal(borrowed.status, 404, `same project, other key: ${JSON.stringify(borrowed.body)}`);
    const foreign = await mcpRaw(toolsListMessage(), {
      apiKey: projectB.api_key, accountId: accB.id, sessionId, protocolVersion: LATEST,
    });
    assert.equal(foreign.status, 404, `project B's key: ${JSON.stringify(foreign.body)}`);
    // The owner of the session still uses it.
    const mine = await mcpRaw(toolsListMessage(), { sessionId, protocolVersion: LATEST });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
  });
});

// ------------------------------------------------------------------------------------------------

describe('tools', () => {
  test('tools/list: one tool per action the account can run, with the catalogue\'s schema and annotations', async (t) => {
    const { client } = await session(t);
    const tools = await listTools(client);
    const names = tools.map((tool) => tool.name).sort();
    assert.equal(new Set(names).size, names.length, 'no tool twice');
    assert.deepEqual(names, await actionsFor(accA.id));
    assert.ok(names.includes('plaid_list_accounts'));
    assert.ok(names.includes('plaid_sync_transactions'));
    assert.ok(!names.includes('plaid_get_identity'), 'an action of a product the account lacks');
    assert.ok(!names.includes('plaid_get_auth'));
    for (const tool of tools) {
      const action = catalogue.get(tool.name);
      assert.ok(action, `${tool.name} is not a catalogue action`);
      assert.equal(typeof tool.title, 'string', `${tool.name} title`);
      assert.ok(tool.title.length > 0, `${tool.name} title`);
      assert.equal(typeof tool.description, 'string', `${tool.name} description`);
      assert.ok(tool.description.length > 0, `${tool.name} description`);
      assert.equal(tool.inputSchema.type, 'object');
      assert.deepEqual(tool.inputSchema, action.operation_details.input_schema, `${tool.name} inputSchema`);
      const a = tool.annotations;
      assert.ok(a, `${tool.name} has no annotations`);
      assert.equal(a.readOnlyHint, action.operation_details.read_only, `${tool.name} readOnlyHint`);
      assert.equal(a.destructiveHint, false, `${tool.name} destructiveHint`);
      assert.equal(typeof a.idempotentHint, 'boolean', `${tool.name} idempotentHint`);
      assert.equal(a.openWorldHint, true, `${tool.name} openWorldHint`);
    }
    const refresh = tools.find((tool) => tool.name === 'plaid_refresh_transactions');
    assert.equal(refresh.annotations.readOnlyHint, false);
    assert.equal(tools.find((tool) => tool.name === 'plaid_list_accounts').annotations.readOnlyHint, true);
  });

  test('tools/call gives the data /actions/rpc gives: list accounts, get item, sync transactions', async (t) => {
    const { client } = await session(t);
    const accounts = assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'plaid_list_accounts');
    const viaRpc = await rpcOk(accA.id, 'plaid_list_accounts', {});
    assert.ok(accounts.accounts.length >= 1);
    assert.deepEqual(accountIds(accounts.accounts), accountIds(viaRpc.data.accounts));
    assert.deepEqual(accountIds(accounts.accounts), accountIds(accA.plaid.accounts));
    // Narrowed, like RPC.
    const one = accA.plaid.accounts[0].account_id;
    const narrowed = assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: { account_ids: [one] } }), 'narrowed');
    assert.deepEqual(accountIds(narrowed.accounts), [one]);

    const item = assertToolOk(await client.callTool({ name: 'plaid_get_item', arguments: {} }), 'plaid_get_item');
    assert.equal(item.item.item_id, accA.plaid.item_id);
    assert.deepEqual(item.item, (await rpcOk(accA.id, 'plaid_get_item', {})).data.item);

    const sync = assertToolOk(await client.callTool({ name: 'plaid_sync_transactions', arguments: { consumer: 'mcp-test' } }),
      'plaid_sync_transactions');
    for (const k of ['added', 'modified', 'removed']) assert.ok(Array.isArray(sync[k]), `${k} is not an array`);
    assert.equal(typeof sync.next_cursor, 'string');
    assert.ok(sync.added.length > 0, 'the first sync of a consumer brings the history');
  });

  test('an offset-paged action with more pages puts the cursor in _meta["linkhub/next"]', async (t) => {
    const { client } = await session(t);
    const input = { ...ALL_DATES, count: 2 };
    const first = await client.callTool({ name: 'plaid_list_transactions', arguments: input });
    const page1 = assertToolOk(first, 'page 1', { more: true });
    const rpc1 = await rpcOk(accA.id, 'plaid_list_transactions', input);
    assert.equal(typeof rpc1.next, 'string', 'the RPC answer has more pages');
    assert.equal(first._meta?.['linkhub/next'], rpc1.next);
    assert.deepEqual(page1.transactions.map((x) => x.transaction_id), rpc1.data.transactions.map((x) => x.transaction_id));
    // The cursor goes back as `next`, as on RPC.
    const second = assertToolOk(await client.callTool({
      name: 'plaid_list_transactions', arguments: { ...input, next: first._meta['linkhub/next'] },
    }), 'page 2', { more: true });
    const rpc2 = await rpcOk(accA.id, 'plaid_list_transactions', { ...input, next: rpc1.next });
    assert.deepEqual(second.transactions.map((x) => x.transaction_id), rpc2.data.transactions.map((x) => x.transaction_id));
    assert.notDeepEqual(second.transactions.map((x) => x.transaction_id), page1.transactions.map((x) => x.transaction_id));
  });

  test('bad arguments are tool errors with RPC\'s message; an unknown tool is a JSON-RPC error', async (t) => {
    const { client } = await session(t);
    for (const [name, args, re] of [
      ['plaid_list_accounts', { account_ids: 'x' }, /account_ids/],
      ['plaid_list_accounts', { bogus: 1 }, /bogus/],
      ['plaid_list_transactions', { end_date: '2026-01-31' }, /start_date/],
    ]) {
      const text = assertToolError(await client.callTool({ name, arguments: args }), `${name} ${JSON.stringify(args)}`);
      const viaRpc = assertError(await rpc(accA.id, name, args), 400);
      assert.equal(text, viaRpc.message, `${name} ${JSON.stringify(args)}`);
      assert.match(text, re);
    }
    let err;
    try {
      await client.callTool({ name: 'plaid_transfer_money', arguments: {} });
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'calling an unknown tool succeeded');
    assert.ok(err instanceof McpError, `expected McpError, got ${err.name}: ${err.message}`);
    assert.equal(err.code, -32602);
    // The session is still usable.
    assertToolOk(await client.callTool({ name: 'plaid_get_item', arguments: {} }), 'after the error');
  });

  test('a suspended account: a tool error with RPC\'s message, until resumed', async (t) => {
    const acc = await linkWith(hub, keyA);
    const { client } = await session(t, { accountId: acc.id });
    assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'before');
    const suspended = await call(hub, 'POST', `/accounts/${acc.id}/suspend`, { key: keyA });
    assert.equal(suspended.status, 200);
    assert.equal(suspended.body.status, 'suspended');
    const text = assertToolError(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'suspended');
    const viaRpc = assertError(await rpc(acc.id, 'plaid_list_accounts', {}), 409);
    assert.equal(text, viaRpc.message);
    assert.match(text, /suspended/);
    assert.equal((await call(hub, 'POST', `/accounts/${acc.id}/resume`, { key: keyA })).status, 200);
    assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'after resume');
  });
});

// ------------------------------------------------------------------------------------------------

describe('key limits', () => {
  test('a key limited to some actions sees and runs only those, on MCP and RPC', async (t) => {
    const limited = await createKey(projectA, ['--actions', 'plaid_list_accounts,plaid_get_item']);
    assert.equal(typeof limited.api_key, 'string');
    assert.deepEqual([...limited.actions].sort(), ['plaid_get_item', 'plaid_list_accounts']);
    assert.equal(limited.read_only, false);

    const { client } = await session(t, { apiKey: limited.api_key });
    assert.deepEqual((await listTools(client)).map((tool) => tool.name).sort(), ['plaid_get_item', 'plaid_list_accounts']);
    const accounts = assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'allowed');
    assert.deepEqual(accountIds(accounts.accounts), accountIds(accA.plaid.accounts));

    const text = assertToolError(await client.callTool({ name: 'plaid_sync_transactions', arguments: {} }), 'not allowed');
    assert.ok(text.includes('plaid_sync_transactions'), `the message does not name the action: ${text}`);
    const refused = assertError(await rpc(accA.id, 'plaid_sync_transactions', {}, { apiKey: limited.api_key }), 403);
    assert.ok(refused.message.includes('plaid_sync_transactions'), refused.message);
    await rpcOk(accA.id, 'plaid_get_item', {}, { apiKey: limited.api_key });
    // The project's unlimited key is untouched.
    await rpcOk(accA.id, 'plaid_sync_transactions', { consumer: 'limits-test' });
  });

  test('limits hold on the proxy, show in api-key list, and are checked when a key is made', async () => {
    const limited = await createKey(projectA, ['--actions', 'plaid_get_item']);
    const proxy = (path) => call(hub, 'POST', '/unified/proxy', {
      key: limited.api_key, headers: { 'x-account-id': accA.id }, body: { method: 'post', path, body: {} },
    });
    assert.equal((await proxy('/item/get')).status, 200, 'the endpoint of an allowed action');
    const refused = assertError(await proxy('/accounts/get'), 403);
    assert.ok(refused.message.includes('/accounts/get'), refused.message);

    const listed = await admin(hub.dataDir, hub.masterKey, ['api-key', 'list', '--project', projectA.project_id]);
    const entry = listed.find((k) => k.id === limited.api_key_id);
    assert.deepEqual(entry.actions, ['plaid_get_item']);
    assert.equal(entry.read_only, false);
    assert.ok(listed.some((k) => k.actions === null && k.read_only === false), 'an unlimited key shows null');

    for (const [extra, expected] of [
      [['--actions', 'plaid_transfer_money'], /plaid_transfer_money/],
      [['--actions', 'plaid_get_item,plaid_get_item'], /twice/],
      [['--read-only', '--actions', 'plaid_refresh_transactions'], /read-only/],
    ]) {
      await assert.rejects(createKey(projectA, extra), (err) => {
        assert.equal(err.code, 1, `exit code for ${extra.join(' ')}`);
        assert.match(err.stderr, expected);
        assert.equal(err.stdout, '', 'no key is printed');
        return true;
      });
    }
  });

  test('a read-only key cannot refresh transactions but can list accounts', async (t) => {
    const ro = await createKey(projectA, ['--read-only']);
    assert.equal(ro.read_only, true);
    const { client } = await session(t, { apiKey: ro.api_key });
    const names = (await listTools(client)).map((tool) => tool.name).sort();
    assert.ok(names.includes('plaid_list_accounts'));
    assert.ok(!names.includes('plaid_refresh_transactions'), 'the one write is not listed');
    assert.deepEqual(names, (await actionsFor(accA.id)).filter((n) => catalogue.get(n).operation_details.read_only));

    assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'read');
    const text = assertToolError(await client.callTool({ name: 'plaid_refresh_transactions', arguments: {} }), 'write');
    assert.ok(text.includes('plaid_refresh_transactions'), text);
    const refused = assertError(await rpc(accA.id, 'plaid_refresh_transactions', {}, { apiKey: ro.api_key }), 403);
    assert.ok(refused.message.includes('plaid_refresh_transactions'), refused.message);
    await rpcOk(accA.id, 'plaid_list_accounts', {}, { apiKey: ro.api_key });
  });
});

// ------------------------------------------------------------------------------------------------

describe('search', () => {
  test('tool-mode=search_execute: search_actions and execute_action', async (t) => {
    const { client } = await session(t, { mode: 'search_execute' });
    const tools = await listTools(client);
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['execute_action', 'search_actions']);
    const search = tools.find((tool) => tool.name === 'search_actions');
    assert.equal(search.inputSchema.type, 'object');
    assert.equal(search.inputSchema.properties.query.type, 'string');
    assert.equal(search.inputSchema.properties.limit.type, 'integer');
    assert.ok(search.inputSchema.required?.includes('query'));
    assert.ok(!search.inputSchema.required?.includes('limit'));
    const execute = tools.find((tool) => tool.name === 'execute_action');
    assert.equal(execute.inputSchema.properties.action.type, 'string');
    assert.equal(execute.inputSchema.properties.arguments.type, 'object');
    assert.ok(execute.inputSchema.required?.includes('action'));

    const direct = await session(t);
    const directTools = new Map((await listTools(direct.client)).map((tool) => [tool.name, tool]));

    const found = assertToolOk(await client.callTool({
      name: 'search_actions', arguments: { query: 'transactions since last sync' },
    }), 'search_actions');
    assert.ok(Array.isArray(found.actions) && found.actions.length > 0, JSON.stringify(found));
    assert.equal(found.actions[0].name, 'plaid_sync_transactions');
    for (let i = 0; i < found.actions.length; i++) {
      const r = found.actions[i];
      assert.equal(typeof r.score, 'number', `${r.name} score`);
      if (i > 0) assert.ok(found.actions[i - 1].score >= r.score, 'best first');
      assert.ok(catalogue.has(r.name), `${r.name} is not a catalogue action`);
      assert.deepEqual(r.inputSchema, catalogue.get(r.name).operation_details.input_schema, `${r.name} inputSchema`);
      const tool = directTools.get(r.name);
      if (tool) {
        assert.equal(r.title, tool.title, `${r.name} title`);
        assert.equal(r.description, tool.description, `${r.name} description`);
        assert.deepEqual(r.annotations, tool.annotations, `${r.name} annotations`);
      }
    }
    const balances = assertToolOk(await client.callTool({
      name: 'search_actions', arguments: { query: 'account balances', limit: 5 },
    }), 'search balances');
    assert.ok(balances.actions.length <= 5, `limit 5 gave ${balances.actions.length}`);
    assert.ok(balances.actions.some((r) => r.name === 'plaid_get_balances'), JSON.stringify(balances.actions.map((r) => r.name)));

    // execute_action is tools/call of the action.
    const executed = assertToolOk(await client.callTool({
      name: 'execute_action', arguments: { action: 'plaid_list_accounts', arguments: {} },
    }), 'execute_action');
    const called = assertToolOk(await direct.client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'direct');
    assert.deepEqual(withoutRequestId(executed), withoutRequestId(called));
    const badExec = await client.callTool({
      name: 'execute_action', arguments: { action: 'plaid_list_accounts', arguments: { account_ids: 'x' } },
    });
    const badDirect = await direct.client.callTool({ name: 'plaid_list_accounts', arguments: { account_ids: 'x' } });
    assertToolError(badExec, 'execute_action with a bad argument');
    // The same result (an error's timestamp aside).
    const untimed = (r) => JSON.parse(JSON.stringify(r).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T'));
    assert.deepEqual(untimed(badExec), untimed(badDirect));
  });

  test('POST /actions/search ranks actions in StackOne\'s shape', async () => {
    const res = await call(hub, 'POST', '/actions/search', {
      key: keyA, body: { query: 'transactions since last sync', top_k: 5, connector: 'plaid' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { results } = res.body;
    assert.ok(Array.isArray(results) && results.length >= 1 && results.length <= 5, JSON.stringify(res.body));
    assert.equal(res.body.query, 'transactions since last sync');
    assert.equal(typeof res.body.total_count, 'number');
    assert.equal(results[0].action_name, 'plaid_sync_transactions');
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      assert.equal(r.connector_key, 'plaid');
      assert.ok(catalogue.has(r.action_name), r.action_name);
      assert.equal(typeof r.similarity_score, 'number');
      assert.ok(r.similarity_score >= 0 && r.similarity_score <= 1, `score ${r.similarity_score}`);
      if (i > 0) assert.ok(results[i - 1].similarity_score >= r.similarity_score, 'descending');
      assert.equal(typeof r.label, 'string');
      assert.equal(typeof r.description, 'string');
    }
    const balances = await call(hub, 'POST', '/actions/search', { key: keyA, body: { query: 'account balances', top_k: 5 } });
    assert.equal(balances.status, 200, JSON.stringify(balances.body));
    assert.ok(balances.body.results.some((r) => r.action_name === 'plaid_get_balances'));

    assertError(await call(hub, 'POST', '/actions/search', { key: keyA, body: { top_k: 5 } }), 400, /query/);
    const other = await call(hub, 'POST', '/actions/search', {
      key: keyA, body: { query: 'employees', connector: 'bamboohr' },
    });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.deepEqual(other.body.results, []);
    assertError(await call(hub, 'POST', '/actions/search', { body: { query: 'accounts' } }), 401);
  });
});

// ------------------------------------------------------------------------------------------------

describe('call log', () => {
  test('calls made over MCP are logged with via "mcp", RPC calls with via "rpc"', async (t) => {
    const acc = await linkWith(hub, keyA);
    const cookie = await dashboardCookie(keyA);
    const count = (rows, via) => rows.filter((r) => r.endpoint === '/accounts/get' && r.via === via).length;
    const start = await callLog(cookie, acc.id);
    const mcp0 = count(start, 'mcp');
    const rpc0 = count(start, 'rpc');

    const { client } = await session(t, { accountId: acc.id });
    assertToolOk(await client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'mcp call');
    const afterMcp = await poll(async () => {
      const rows = await callLog(cookie, acc.id);
      return count(rows, 'mcp') === mcp0 + 1 ? rows : null;
    });
    assert.ok(afterMcp, `no /accounts/get row with via "mcp": ${JSON.stringify(await callLog(cookie, acc.id))}`);
    assert.equal(count(afterMcp, 'rpc'), rpc0);

    await rpcOk(acc.id, 'plaid_list_accounts', {});
    const afterRpc = await poll(async () => {
      const rows = await callLog(cookie, acc.id);
      return count(rows, 'rpc') === rpc0 + 1 ? rows : null;
    });
    assert.ok(afterRpc, `no /accounts/get row with via "rpc": ${JSON.stringify(await callLog(cookie, acc.id))}`);
    assert.equal(count(afterRpc, 'mcp'), mcp0 + 1);
    // Newest first: the RPC call, then the MCP call.
    const accountsRows = afterRpc.filter((r) => r.endpoint === '/accounts/get');
    assert.equal(accountsRows[0].via, 'rpc');
    assert.equal(accountsRows[1].via, 'mcp');
  });

  test('each call is logged with the X-Request-Id of the request it was made for', async (t) => {
    const acc = await linkWith(hub, keyA);
    const cookie = await dashboardCookie(keyA);
    const rpcId = `rpc-${process.pid}-${Date.now()}`;
    const res = await call(hub, 'POST', '/actions/rpc', {
      key: keyA, headers: { 'x-account-id': acc.id, 'X-Request-Id': rpcId }, body: { action: 'plaid_get_item' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), rpcId, 'the response carries the request id');
    const mcpId = `mcp-${process.pid}-${Date.now()}`;
    const { client } = await session(t, { accountId: acc.id, requestId: mcpId });
    assertToolOk(await client.callTool({ name: 'plaid_get_item', arguments: {} }), 'mcp call');
    const rows = await poll(async () => {
      const r = await callLog(cookie, acc.id);
      return r.some((row) => row.linkhub_request_id === mcpId) ? r : null;
    });
    assert.ok(rows, `no row for ${mcpId}: ${JSON.stringify(await callLog(cookie, acc.id))}`);
    const byId = (id) => rows.filter((row) => row.linkhub_request_id === id);
    assert.deepEqual(byId(rpcId).map((row) => [row.endpoint, row.via]), [['/item/get', 'rpc']]);
    assert.deepEqual(byId(mcpId).map((row) => [row.endpoint, row.via]), [['/item/get', 'mcp']]);
    // An id that is not one (too long, or with characters outside the allowed set) is replaced.
    const bad = await call(hub, 'POST', '/actions/rpc', {
      key: keyA, headers: { 'x-account-id': acc.id, 'X-Request-Id': 'bad id\twith tab' }, body: { action: 'plaid_get_item' },
    });
    assert.equal(bad.status, 200);
    assert.notEqual(bad.headers.get('x-request-id'), 'bad id\twith tab');
    assert.match(bad.headers.get('x-request-id'), /^[A-Za-z0-9]{15}$/);
  });
});

// ------------------------------------------------------------------------------------------------

describe('--mcp-redact identity', () => {
  let redactHub;
  let redactKey;
  let identityAcc;

  before(async () => {
    redactHub = await startHub(emu, { args: ['--plaid-rate-budget', 'off', '--mcp-redact', 'identity'] });
    redactKey = (await createProject(redactHub, 'redacting')).api_key;
    identityAcc = await linkWith(redactHub, redactKey, ['transactions', 'identity']);
  });

  after(async () => {
    await redactHub?.stop();
  });

  test('owners\' names, e-mails, phone numbers and streets are masked over MCP; RPC is unchanged', async (t) => {
    const viaRpc = (await rpcOk(identityAcc.id, 'plaid_get_identity', {}, { apiKey: redactKey, h: redactHub })).data;
    const owners = viaRpc.accounts.flatMap((a) => a.owners);
    assert.ok(owners.length >= 1);
    const secrets = [
      ...owners.flatMap((o) => o.names),
      ...owners.flatMap((o) => o.emails.map((e) => e.data)),
      ...owners.flatMap((o) => o.phone_numbers.map((p) => p.data)),
      ...owners.flatMap((o) => o.addresses.map((a) => a.data.street)),
    ].filter((s) => typeof s === 'string' && s.length > 0);
    assert.ok(secrets.includes('Alberta Bobbeth Charleson'), 'RPC keeps the owner\'s name');
    assert.ok(secrets.some((s) => /@/.test(s)), 'RPC keeps the e-mail addresses');

    const s = await session(t, { h: redactHub, apiKey: redactKey, accountId: identityAcc.id });
    const result = await s.client.callTool({ name: 'plaid_get_identity', arguments: {} });
    const masked = assertToolOk(result, 'plaid_get_identity');
    assert.deepEqual(accountIds(masked.accounts), accountIds(viaRpc.accounts), 'the accounts are all there');
    const text = JSON.stringify(masked) + result.content[0].text;
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `"${secret}" is not masked over MCP`);
    }
    // Other actions over MCP are not touched.
    const accounts = assertToolOk(await s.client.callTool({ name: 'plaid_list_accounts', arguments: {} }), 'accounts');
    assert.deepEqual(accounts.accounts.map((a) => a.name).sort(),
      (await rpcOk(identityAcc.id, 'plaid_list_accounts', {}, { apiKey: redactKey, h: redactHub })).data.accounts.map((a) => a.name).sort());
  });
});
