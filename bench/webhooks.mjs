#!/usr/bin/env node
// Webhooks both ways, measured on loopback against the emulator:
//
//  in   verified Plaid webhooks accepted per second: distinct webhooks signed by the emulator
//       (PENDING_EXPIRATION with a new consent date each, for accounts linked through linkhub)
//       are captured, then posted to POST /webhooks/plaid/{project} by --concurrency clients;
//       every one is verified (ES256, the body's SHA-256), sealed and kept in the inbox before
//       its 200. Then the time until the worker applied them all (each is a status change).
//  out  events delivered per second: --events label edits (PATCH /accounts/{id}) across the
//       accounts by --concurrency clients, each writing account.updated into the outbox; the
//       time until a local receiver (answering 200) got them all, and the lag between an
//       event's event_date and its arrival.
//
// Usage: node bench/webhooks.mjs [--accounts N] [--webhooks N] [--events N] [--concurrency N]
//                                [--binary PATH]
// Needs build/bin/linkhub and build/bin/plaid-emulator (scripts/build). Prints one JSON object.
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { startEmulator } from '../tests/node/lib/emulator.mjs';
import {
  startHub, createProject, call, connectSession, sandboxPublicToken, poll, hubBinary,
} from '../tests/node/lib/hub.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const binary = path.resolve(opt('binary', hubBinary));
const nAccounts = Number(opt('accounts', 50));
// At most 1000: the emulator keeps (and delivers) the last 1000 webhooks it queued.
const nWebhooks = Math.min(1000, Number(opt('webhooks', 1000)));
const nEvents = Number(opt('events', 3000));
const concurrency = Number(opt('concurrency', 16));

// A receiver for both directions: /plaid records Plaid's webhooks, /events linkhub's events.
const plaidHooks = [];
const events = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url === '/plaid') plaidHooks.push({ headers: req.headers, body });
    else events.push({ at: Date.now(), json: JSON.parse(body.toString()) });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;

async function pool(n, task) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await task(next++);
  }));
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const emu = await startEmulator(['--rate-limits', 'off']);
const hub = await startHub(emu, { binary, args: ['--allow-private-webhook-urls', '--log-level', 'warn'] });
try {
  const project = await createProject(hub, 'Bench');
  const key = project.api_key;
  const accounts = [];
  for (let i = 0; i < nAccounts; i++) {
    const s = await connectSession(hub, key, { origin_owner_id: `owner_${i}` });
    const publicToken = await sandboxPublicToken(emu, 'ins_109508', ['transactions'], { webhook: `${base}/plaid` });
    const res = await call(hub, 'POST', '/hub/accounts', { session: s.token, body: { credentials: { public_token: publicToken } } });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    const acc = (await call(hub, 'GET', `/accounts/${res.body.id}`, { key })).body;
    accounts.push(acc);
  }

  // In: capture distinct signed webhooks, then post them to linkhub.
  await pool(nWebhooks, async (i) => {
    const acc = accounts[i % accounts.length];
    const day = new Date(Date.UTC(2027, 0, 1) + i * 60_000).toISOString().replace('.000Z', 'Z');
    await emu.control('POST', `/emulator/items/${acc.plaid.item_id}/fire_webhook`,
      { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: day });
  });
  if (!(await poll(() => plaidHooks.length >= nWebhooks, 60000))) throw new Error('webhooks not captured');
  const endpoint = (await call(hub, 'POST', '/webhooks', { key, body: { url: `${base}/events` } })).body;
  const inLatencies = [];
  const inStarted = process.hrtime.bigint();
  await pool(nWebhooks, async (i) => {
    const h = plaidHooks[i];
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${hub.url}/webhooks/plaid/${project.project_id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Plaid-Verification': h.headers['plaid-verification'] },
      body: h.body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`webhook ${i}: ${res.status}`);
    inLatencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
  const inSeconds = Number(process.hrtime.bigint() - inStarted) / 1e9;
  // Applied: every webhook was a status change, so each makes one account.updated event.
  if (!(await poll(() => events.length >= nWebhooks, 120000, 20))) {
    throw new Error(`only ${events.length} of ${nWebhooks} applied and delivered`);
  }
  const appliedSeconds = Number(process.hrtime.bigint() - inStarted) / 1e9;

  // Out: label edits, each an account.updated event.
  events.length = 0;
  const answeredAt = new Map();  // label -> when its PATCH was answered (the change committed)
  const outStarted = Date.now();
  await pool(nEvents, async (i) => {
    const acc = accounts[i % accounts.length];
    const res = await call(hub, 'PATCH', `/accounts/${acc.id}`, { key, body: { label: `label ${i}` } });
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    answeredAt.set(`label ${i}`, Date.now());
  });
  const producedSeconds = (Date.now() - outStarted) / 1000;
  if (!(await poll(() => events.length >= nEvents, 120000, 20))) {
    throw new Error(`only ${events.length} of ${nEvents} events delivered`);
  }
  const deliveredSeconds = (Math.max(...events.map((e) => e.at)) - outStarted) / 1000;
  // From the change's commit (its PATCH answered) to the event's arrival.
  const lags = events.filter((e) => answeredAt.has(e.json.label))
    .map((e) => Math.max(0, e.at - answeredAt.get(e.json.label)));
  // One at a time: the latency of a single change's event, with no backlog.
  const single = [];
  for (let i = 0; i < 50; i++) {
    const label = `single ${i}`;
    const acc = accounts[i % accounts.length];
    await call(hub, 'PATCH', `/accounts/${acc.id}`, { key, body: { label } });
    const t = Date.now();
    const hit = await poll(() => events.find((e) => e.json.label === label), 10000, 1);
    single.push(hit.at - t);
  }
  console.log(JSON.stringify({
    binary,
    accounts: nAccounts,
    concurrency,
    in: {
      webhooks: nWebhooks,
      accepted_per_second: Math.round(nWebhooks / inSeconds),
      accept_latency_ms: { p50: +pct(inLatencies, 50).toFixed(2), p99: +pct(inLatencies, 99).toFixed(2) },
      applied_and_delivered_per_second: Math.round(nWebhooks / appliedSeconds),
    },
    out: {
      events: nEvents,
      produced_per_second: Math.round(nEvents / producedSeconds),
      delivered_per_second: Math.round(nEvents / deliveredSeconds),
      committed_to_received_ms: { p50: pct(lags, 50), p99: pct(lags, 99) },
      one_at_a_time_committed_to_received_ms: { p50: pct(single, 50), p99: pct(single, 99) },
      endpoint: endpoint.id,
    },
  }, null, 2));
} finally {
  await hub.stop();
  await emu.stop();
  server.close();
}
