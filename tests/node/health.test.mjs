// Health and readiness for load balancers and orchestrators: GET /healthz (the process answers)
// and GET /readyz (the database takes a flushed write, its schema is current, the master key
// opens what it seals), unauthenticated. A database another process holds locked for writing
// makes /readyz 503, naming the database, until the lock goes.
//
// Run: node --test tests/node/health.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, call, poll } from './lib/hub.mjs';

let emu;
let hub;
before(async () => {
  emu = await startEmulator();
  hub = await startHub(emu);
});
after(async () => {
  const results = await Promise.allSettled([hub?.stop(), emu?.stop()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

test('/healthz and /readyz answer without credentials', async () => {
  const health = await call(hub, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'ok' });
  assert.equal(health.headers.get('cache-control'), 'no-store');
  const ready = await call(hub, 'GET', '/readyz');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  assert.deepEqual(ready.body, { status: 'ready', checks: { database: 'ok', migrations: 'ok', master_key: 'ok' } });
  const head = await fetch(`${hub.url}/readyz`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('a database locked against writes makes /readyz 503 until it is free again', async () => {
  // Another process takes the write lock and keeps it (sqlite3's shell, reading its stdin).
  const holder = spawn('sqlite3', [path.join(hub.dataDir, 'linkhub.db')], { stdio: ['pipe', 'pipe', 'inherit'] });
  holder.stdin.write('BEGIN EXCLUSIVE;\nSELECT \'locked\';\n');
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  try {
    const res = await poll(async () => {
      const r = await call(hub, 'GET', '/readyz');
      return r.status === 503 ? r : null;
    }, 20000, 200);
    assert.ok(res, '/readyz stayed 200 while the database was locked');
    assert.equal(res.body.status, 'not_ready');
    assert.match(res.body.checks.database, /lock|busy/i);
    assert.equal(res.body.checks.master_key, 'ok');
    assert.equal((await call(hub, 'GET', '/healthz')).status, 200, 'the process still answers');
  } finally {
    holder.stdin.end('ROLLBACK;\n');
    await new Promise((resolve) => holder.once('exit', resolve));
  }
  assert.ok(await poll(async () => (await call(hub, 'GET', '/readyz')).status === 200, 20000, 200),
    '/readyz did not come back');
});
