#!/usr/bin/env node
// A soak test of linkhub: mixed traffic for minutes at a fixed fraction of its measured peak, with
// linkhub's memory and file descriptors sampled throughout.
//
//  peak  the mix closed-loop from --workers clients for --peak-seconds (after a 3 s warm-up):
//        operations answered per second;
//  soak  the same mix open-loop on a fixed schedule at --fraction of that peak for --minutes: an
//        operation starts when its time comes, whatever the ones before it are doing (no cap on
//        requests in flight), and its latency counts from the time it was due.
//
// The mix, each operation checked for its status (anything else, a network error or a timeout
// past --timeout-ms is an error):
//   35 %  POST /actions/rpc plaid_list_accounts    on a random linked account     200
//   35 %  POST /actions/rpc plaid_get_item         on a random linked account     200
//   10 %  GET /accounts?page_size=25                                             200
//   10 %  GET /embedded/integrations?token=…       the Hub page                  200
//    5 %  a link: POST /connect_sessions (201), a sandbox public token from the emulator (200),
//         POST /hub/accounts (201); the new account joins the pool the RPCs pick from
//  2.5 %  GET /dashboard/api/accounts              signed-in dashboard session   200
//  2.5 %  GET /dashboard/api/session               signed-in dashboard session   200
//
// Every --sample-seconds: linkhub's RSS (VmRSS) and open descriptors (/proc/<pid>/fd), its CPU,
// and the window's rate, errors and p50/p99. At the end a summary; the exit status is non-zero if
// any operation failed, if linkhub did not stop cleanly, or if the leak check fails: RSS at the
// end of the soak above --leak-ratio (1.5) times RSS one minute into it. Then the client closes
// its connections, waits (up to --drain-seconds) until linkhub answers GET /metrics within
// --timeout-ms again, and samples RSS and descriptors once more, idle.
//
// Usage: node bench/soak.mjs [--minutes 10] [--peak-seconds 30] [--workers 32] [--fraction 0.8]
//          [--accounts 20] [--sample-seconds 10] [--timeout-ms 10000] [--leak-ratio 1.5]
//          [--drain-seconds 300]
//          [--rate R (skip the peak phase, soak at R operations a second)] [--json FILE]
//          [--mix id=weight,… (other weights: rpc_list, rpc_item, accounts, hub_page, link,
//                                dash_accounts, dash_session; 0 leaves one out)]
// Uses build/bin/linkhub and build/bin/plaid-emulator as they are (LINKHUB_BIN and
// PLAID_EMULATOR_BIN name others); BENCH_SKIP_BUILD=0 runs scripts/build for both first.
// Both binaries are copied into the work directory, so that a rebuild during the run changes
// nothing; BENCH_KEEP=1 keeps that directory, BENCH_HOLD=N keeps linkhub up N seconds after the
// summary (for gdb or perf on its pid).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- options ----
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return def;
  if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
  return argv[i + 1];
};
const minutes = Number(opt('minutes', 10));
const peakSeconds = Number(opt('peak-seconds', 30));
const workers = Number(opt('workers', 32));
const fraction = Number(opt('fraction', 0.8));
const initialAccounts = Number(opt('accounts', 20));
const sampleSeconds = Number(opt('sample-seconds', 10));
const timeoutMs = Number(opt('timeout-ms', 10000));
const leakRatio = Number(opt('leak-ratio', 1.5));
const drainSeconds = Number(opt('drain-seconds', 300));
const fixedRate = opt('rate', undefined);
const jsonOut = opt('json', undefined);
const mixOverride = opt('mix', undefined);
for (const [n, v] of Object.entries({ minutes, peakSeconds, workers, fraction, initialAccounts, sampleSeconds, timeoutMs, leakRatio })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`bad value for ${n}: ${v}`);
}

// ---- binaries ----
const srcHub = path.resolve(process.env.LINKHUB_BIN || path.join(repoRoot, 'build', 'bin', 'linkhub'));
const srcEmu = path.resolve(process.env.PLAID_EMULATOR_BIN || path.join(repoRoot, 'build', 'bin', 'plaid-emulator'));
if (process.env.BENCH_SKIP_BUILD === '0') {
  execFileSync(path.join(repoRoot, 'scripts', 'build'), ['plaid-emulator', 'linkhub'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'linkhub-soak.'));
const describeBinary = (src, copy) => {
  const st = fs.statSync(src);
  const sha = crypto.createHash('sha256').update(fs.readFileSync(copy)).digest('hex').slice(0, 12);
  return `${src} (modified ${st.mtime.toISOString()}, ${st.size} bytes, sha256 ${sha}…)`;
};
const hubBin = path.join(work, 'linkhub');
const emuBin = path.join(work, 'plaid-emulator');
fs.copyFileSync(srcHub, hubBin);
fs.copyFileSync(srcEmu, emuBin);
fs.chmodSync(hubBin, 0o755);
fs.chmodSync(emuBin, 0o755);
console.log(`linkhub:        ${describeBinary(srcHub, hubBin)}`);
console.log(`plaid-emulator: ${describeBinary(srcEmu, emuBin)}`);
console.log(`work directory: ${work}`);

// The helpers read PLAID_EMULATOR_BIN when they are loaded: point it at the copy first.
process.env.PLAID_EMULATOR_BIN = emuBin;
const { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } = await import('../tests/node/lib/emulator.mjs');
const { startHub, createProject, newMasterKey } = await import('../tests/node/lib/hub.mjs');

// ---- HTTP client: keep-alive, no cap worth the name on sockets (the soak is open-loop) ----
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 4096, maxFreeSockets: 4096 });
let agent = newAgent();

class OpError extends Error {
  constructor(message, status, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

function request(base, method, p, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    let payload;
    if (body !== undefined) {
      payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = payload.length;
    }
    let settled = false;
    const done = (fn, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(v);
    };
    const req = http.request({ agent, host: base.hostname, port: base.port, path: p, method, headers: h });
    const timer = setTimeout(() => req.destroy(new OpError(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done(resolve, { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => done(reject, e));
      res.on('close', () => done(reject, new OpError('connection closed before the response ended')));
    });
    req.on('error', (e) => done(reject, e));
    req.end(payload);
  });
}

async function expectStatus(what, promise, want) {
  const res = await promise;
  if (res.status !== want) {
    throw new OpError(`${what}: ${res.status} (expected ${want})`, res.status, res.body.toString().slice(0, 300));
  }
  return res;
}

// ---- latency histogram: log buckets 1 % wide from 10 µs ----
const BUCKETS = 2200;
const LOG_STEP = Math.log(1.01);
class Hist {
  constructor() { this.b = new Float64Array(BUCKETS); this.n = 0; this.max = 0; }
  add(ms) {
    const i = ms <= 0.01 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / 0.01) / LOG_STEP));
    this.b[i]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  q(p) {
    if (this.n === 0) return NaN;
    const target = Math.max(1, Math.ceil(p * this.n));
    let c = 0;
    for (let i = 0; i < BUCKETS; i++) {
      c += this.b[i];
      if (c >= target) return Math.min(this.max, 0.01 * Math.exp(i * LOG_STEP));
    }
    return this.max;
  }
}

// ---- the processes ----
const emu = await startEmulator(['--rate-limits', 'off', '--log-level', 'warn', '--threads', '2']);
const dataDir = path.join(work, 'data');
fs.mkdirSync(dataDir, { mode: 0o700 });
let hub;
let exitCode = 0;
const samples = [];
try {
  hub = await startHub(emu, {
    binary: hubBin, dataDir, masterKey: newMasterKey(),
    args: ['--plaid-rate-budget', 'off', '--rate-limit-per-key', '0', '--rate-limit-per-ip', '0', '--log-level', 'warn'],
  });
  const pid = hub.process.pid;
  console.log(`emulator ${emu.url}, linkhub ${hub.url} (pid ${pid})`);
  const hubBase = new URL(hub.url);
  const emuBase = new URL(emu.url);
  const project = await createProject(hub, 'Soak', { binary: hubBin });
  const auth = 'Basic ' + Buffer.from(`${project.api_key}:`).toString('base64');

  // ---- the operations ----
  const pool = [];          // linked account ids
  let owners = 0;
  const rpcBody = {
    plaid_list_accounts: '{"action":"plaid_list_accounts"}',
    plaid_get_item: '{"action":"plaid_get_item"}',
  };
  const pick = () => pool[Math.floor(Math.random() * pool.length)];
  const rpc = (action) => expectStatus(action, request(hubBase, 'POST', '/actions/rpc', {
    headers: { Authorization: auth, 'x-account-id': pick() }, body: rpcBody[action],
  }), 200);
  async function link() {
    const owner = `soak_${++owners}`;
    const s = await expectStatus('POST /connect_sessions', request(hubBase, 'POST', '/connect_sessions', {
      headers: { Authorization: auth },
      body: { origin_owner_id: owner, origin_owner_name: 'Soak', provider: 'plaid' },
    }), 201);
    const pt = await expectStatus('sandbox/public_token/create', request(emuBase, 'POST', '/sandbox/public_token/create', {
      headers: { 'PLAID-CLIENT-ID': DEMO_CLIENT_ID, 'PLAID-SECRET': DEMO_SECRET },
      body: { institution_id: 'ins_109508', initial_products: ['transactions'] },
    }), 200);
    const res = await expectStatus('POST /hub/accounts', request(hubBase, 'POST', '/hub/accounts', {
      headers: { 'x-hub-session-token': JSON.parse(s.body).token },
      body: { integration_id: 'plaid', credentials: { public_token: JSON.parse(pt.body).public_token } },
    }), 201);
    pool.push(JSON.parse(res.body).id);
  }

  console.log(`linking ${initialAccounts} accounts…`);
  for (let i = 0; i < initialAccounts; i++) await link();
  const pageTokens = [];
  for (let i = 0; i < 4; i++) {
    const s = await expectStatus('POST /connect_sessions', request(hubBase, 'POST', '/connect_sessions', {
      headers: { Authorization: auth },
      body: { origin_owner_id: `soak_page_${i}`, origin_owner_name: 'Soak', expires_in: 2592000 },
    }), 201);
    pageTokens.push(JSON.parse(s.body).token);
  }
  const signIn = await expectStatus('POST /dashboard/api/sign_in', request(hubBase, 'POST', '/dashboard/api/sign_in', {
    headers: { Origin: hub.url }, body: { api_key: project.api_key },
  }), 200);
  const cookie = (signIn.headers['set-cookie'] ?? []).join(';').match(/linkhub_dashboard=([^;]+)/);
  if (!cookie) throw new Error('sign_in set no linkhub_dashboard cookie');
  const dashHeaders = {
    Origin: hub.url, Cookie: `linkhub_dashboard=${cookie[1]}`, 'x-csrf-token': JSON.parse(signIn.body).csrf_token,
  };

  const kinds = [
    { id: 'rpc_list', name: 'rpc plaid_list_accounts', weight: 35, hubRequests: 1, run: () => rpc('plaid_list_accounts') },
    { id: 'rpc_item', name: 'rpc plaid_get_item', weight: 35, hubRequests: 1, run: () => rpc('plaid_get_item') },
    { id: 'accounts', name: 'GET /accounts', weight: 10, hubRequests: 1,
      run: () => expectStatus('GET /accounts', request(hubBase, 'GET', '/accounts?page_size=25', { headers: { Authorization: auth } }), 200) },
    { id: 'hub_page', name: 'Hub page', weight: 10, hubRequests: 1,
      run: () => expectStatus('Hub page', request(hubBase, 'GET',
        `/embedded/integrations?token=${pageTokens[Math.floor(Math.random() * pageTokens.length)]}`), 200) },
    { id: 'link', name: 'link', weight: 5, hubRequests: 2, run: link },
    { id: 'dash_accounts', name: 'dashboard accounts', weight: 2.5, hubRequests: 1,
      run: () => expectStatus('dashboard accounts', request(hubBase, 'GET', '/dashboard/api/accounts', { headers: dashHeaders }), 200) },
    { id: 'dash_session', name: 'dashboard session', weight: 2.5, hubRequests: 1,
      run: () => expectStatus('dashboard session', request(hubBase, 'GET', '/dashboard/api/session', { headers: dashHeaders }), 200) },
  ];
  // --mix id=weight,…: other weights for some kinds (0 leaves a kind out).
  for (const part of (mixOverride ?? '').split(',').filter(Boolean)) {
    const [id, w] = part.split('=');
    const k = kinds.find((x) => x.id === id);
    if (!k || !(Number(w) >= 0)) throw new Error(`--mix: ${part}? kinds: ${kinds.map((x) => x.id).join(', ')}`);
    k.weight = Number(w);
  }
  console.log(`mix: ${kinds.map((k) => `${k.id} ${k.weight}`).join(', ')}`);
  const totalWeight = kinds.reduce((a, k) => a + k.weight, 0);
  const cumulative = [];
  kinds.reduce((a, k) => { cumulative.push(a + k.weight); return a + k.weight; }, 0);
  const pickKind = () => {
    const r = Math.random() * totalWeight;
    for (let i = 0; i < kinds.length; i++) if (r < cumulative[i]) return i;
    return kinds.length - 1;
  };
  // Each operation once, checked, before any measurement.
  for (const k of kinds) if (k.weight > 0) await k.run();

  // ---- recording ----
  const newStats = () => kinds.map(() => ({ n: 0, errors: 0, hist: new Hist() }));
  let phase = null;          // { name, stats, started }
  let win = { n: 0, errors: 0, hist: new Hist() };
  let inflight = 0;
  let maxInflight = 0;
  let maxLagMs = 0;
  let errorsPrinted = 0;
  let totalErrors = 0;
  let hubRequests = 0;
  const errorCauses = new Map();  // "kind: status, error code or message" -> count
  function record(kindIndex, dueAt, err) {
    const ms = performance.now() - dueAt;
    const s = phase.stats[kindIndex];
    s.n++;
    win.n++;
    if (phase.counted) hubRequests += kinds[kindIndex].hubRequests;
    if (err) {
      let why = err.status ?? err.code ?? err.message;
      if (err.status) {
        // The status with the start of linkhub's message: two different 503s, say.
        try { why += ` "${JSON.parse(err.detail).message.slice(0, 48)}"`; } catch { /* not JSON */ }
      }
      const cause = `${kinds[kindIndex].name}: ${why}`;
      errorCauses.set(cause, (errorCauses.get(cause) ?? 0) + 1);
      s.errors++;
      win.errors++;
      totalErrors++;
      if (errorsPrinted++ < 10) {
        console.log(`  error (${phase.name}, ${kinds[kindIndex].name}, ${ms.toFixed(1)} ms): ${err.message}` +
          `${err.code ? ` [${err.code}]` : ''}${err.detail ? ` ${err.detail}` : ''}`);
      }
    } else {
      s.hist.add(ms);
      win.hist.add(ms);
    }
  }
  async function runOp(kindIndex, dueAt) {
    inflight++;
    if (inflight > maxInflight) maxInflight = inflight;
    try {
      await kinds[kindIndex].run();
      record(kindIndex, dueAt, null);
    } catch (e) {
      record(kindIndex, dueAt, e);
    } finally {
      inflight--;
    }
  }

  // ---- sampling ----
  const clkTck = 100;  // USER_HZ on Linux
  const readRssKb = () => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m)[1]);
  const readFds = () => fs.readdirSync(`/proc/${pid}/fd`).length;
  const readCpuTicks = () => {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);  // utime + stime
  };
  let lastSample = { at: performance.now(), ticks: readCpuTicks(), gen: process.cpuUsage() };
  function sample(label) {
    const now = performance.now();
    const seconds = (now - lastSample.at) / 1000;
    const ticks = readCpuTicks();
    const gen = process.cpuUsage();
    const s = {
      phase: phase ? phase.name : label,
      t: phase ? Math.round((now - phase.started) / 1000) : 0,
      rss_mb: +(readRssKb() / 1024).toFixed(1),
      fds: readFds(),
      rate: seconds > 0 ? Math.round(win.n / seconds) : 0,
      errors: win.errors,
      p50_ms: +win.hist.q(0.5).toFixed(2),
      p99_ms: +win.hist.q(0.99).toFixed(2),
      inflight,
      accounts: pool.length,
      hub_cpu: seconds > 0 ? Math.round((100 * (ticks - lastSample.ticks)) / clkTck / seconds) : 0,
      gen_cpu: seconds > 0 ? Math.round(((gen.user - lastSample.gen.user + gen.system - lastSample.gen.system) / 1e4) / seconds) : 0,
      load1: +os.loadavg()[0].toFixed(2),
    };
    lastSample = { at: now, ticks, gen };
    win = { n: 0, errors: 0, hist: new Hist() };
    samples.push(s);
    console.log(`${s.phase.padEnd(5)} ${String(s.t).padStart(4)} s  rss ${s.rss_mb.toFixed(1).padStart(7)} MB  fds ${String(s.fds).padStart(4)}  ` +
      `${String(s.rate).padStart(5)}/s  err ${s.errors}  p50 ${s.p50_ms} ms  p99 ${s.p99_ms} ms  ` +
      `in flight ${s.inflight}  accounts ${s.accounts}  cpu hub ${s.hub_cpu} % gen ${s.gen_cpu} %  load ${s.load1}`);
    return s;
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const startPhase = (name, counted = true) => {
    phase = { name, stats: newStats(), started: performance.now(), counted };
    win = { n: 0, errors: 0, hist: new Hist() };
    lastSample = { at: performance.now(), ticks: readCpuTicks(), gen: process.cpuUsage() };
    return phase;
  };
  const setup = { rss_mb: +(readRssKb() / 1024).toFixed(1), fds: readFds() };
  console.log(`after setup: rss ${setup.rss_mb} MB, fds ${setup.fds}, ${pool.length} accounts`);

  // ---- phase 1: peak, closed-loop ----
  async function closedLoop(seconds) {
    const end = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const k = pickKind();
        await runOp(k, performance.now());
      }
    }));
  }
  let peakRate;
  let peakPhase = null;
  if (fixedRate === undefined) {
    startPhase('warm', false);
    await closedLoop(3);
    peakPhase = startPhase('peak');
    const timer = setInterval(() => sample(), sampleSeconds * 1000);
    const t0 = performance.now();
    await closedLoop(peakSeconds);
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(timer);
    sample();
    const done = peakPhase.stats.reduce((a, s) => a + s.n, 0);
    peakRate = done / elapsed;
    peakPhase.elapsed = elapsed;
    console.log(`peak: ${done} operations in ${elapsed.toFixed(1)} s from ${workers} workers = ${peakRate.toFixed(0)}/s`);
  }
  const rate = fixedRate !== undefined ? Number(fixedRate) : peakRate * fraction;
  const peakInflight = maxInflight;

  // ---- phase 2: soak, open-loop on a fixed schedule ----
  maxInflight = 0;
  const soakPhase = startPhase('soak');
  const soakSeconds = minutes * 60;
  console.log(`soak: ${rate.toFixed(0)} operations/s for ${soakSeconds} s`);
  sample();  // t = 0
  const sampler = setInterval(() => sample(), sampleSeconds * 1000);
  const pending = new Set();
  {
    const t0 = soakPhase.started;
    const interval = 1000 / rate;
    const end = t0 + soakSeconds * 1000;
    let issued = 0;
    for (;;) {
      const now = performance.now();
      if (now >= end) break;
      const due = Math.min(Math.floor((now - t0) / interval) + 1, Math.ceil(soakSeconds * rate));
      while (issued < due) {
        const dueAt = t0 + issued * interval;
        issued++;
        if (now - dueAt > maxLagMs) maxLagMs = now - dueAt;
        const p = runOp(pickKind(), dueAt);
        pending.add(p);
        p.finally(() => pending.delete(p));
      }
      await sleep(Math.max(0, t0 + issued * interval - performance.now()));
    }
    soakPhase.issued = issued;
  }
  await Promise.all([...pending]);
  soakPhase.elapsed = (performance.now() - soakPhase.started) / 1000;
  clearInterval(sampler);
  const last = sample();

  // ---- /metrics as a cross-check ----
  function parseMetrics(text) {
    const value = (name) => {
      const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'));
      return m ? Number(m[1]) : null;
    };
    let served = 0;
    const statuses = {};
    for (const m of text.matchAll(/^linkhub_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
      if (m[1].includes('route="/metrics"')) continue;
      served += Number(m[2]);
      const st = m[1].match(/status="(\d+)"/)?.[1] ?? '?';
      statuses[st] = (statuses[st] ?? 0) + Number(m[2]);
    }
    const exchanges = {};
    for (const m of text.matchAll(/^linkhub_exchanges_total\{outcome="([^"]+)"\} (\S+)$/gm)) exchanges[m[1]] = Number(m[2]);
    return {
      linkhub_http_open_connections: value('linkhub_http_open_connections'),
      process_resident_memory_bytes: value('process_resident_memory_bytes'),
      process_open_fds: value('process_open_fds'),
      linkhub_http_requests_total: served,
      statuses,
      linkhub_exchanges_total: exchanges,
      account_cache: {
        hit: value('linkhub_cache_lookups_total\\{cache="account",result="hit"\\}'),
        miss: value('linkhub_cache_lookups_total\\{cache="account",result="miss"\\}'),
      },
      refused_connections: value('linkhub_http_refused_connections_total'),
      db_lock_waits: value('linkhub_db_lock_contended_wait_seconds_count'),
      db_lock_wait_seconds: value('linkhub_db_lock_contended_wait_seconds_sum'),
    };
  }
  async function scrape() {
    const res = await request(hubBase, 'GET', '/metrics');
    if (res.status !== 200) throw new OpError(`GET /metrics answered ${res.status}`, res.status);
    return parseMetrics(res.body.toString());
  }
  // At the end, with the client's connections still open (one try).
  let metrics = null;
  let metricsNote = 'at the end of the soak';
  try {
    metrics = await scrape();
  } catch (e) {
    console.log(`GET /metrics at the end of the soak: ${e.message}`);
  }
  // The load is over: close the client's connections. After an overload linkhub may still be
  // working through requests whose clients gave up; wait until it answers again.
  agent.destroy();
  agent = newAgent();
  const drainStarted = performance.now();
  let drained = metrics ? 0 : null;
  while (drained === null && performance.now() - drainStarted < drainSeconds * 1000) {
    try {
      metrics = await scrape();
      drained = (performance.now() - drainStarted) / 1000;
      metricsNote = `${drained.toFixed(0)} s after the load stopped`;
      console.log(`linkhub answered GET /metrics ${drained.toFixed(1)} s after the load stopped`);
    } catch (e) {
      if (e.status) break;  // it answers, but not 200: no metrics in this build
      console.log(`GET /metrics: ${e.message}; again`);
    }
  }
  if (drained === null) console.log(`linkhub did not answer GET /metrics within ${drainSeconds} s after the load stopped`);
  // Idle: a moment for connections to close, then RSS and descriptors once more.
  await sleep(5000);
  const idle = { rss_mb: +(readRssKb() / 1024).toFixed(1), fds: readFds(), drained_seconds: drained };

  // ---- summary ----
  const soakSamples = samples.filter((s) => s.phase === 'soak');
  const near = (t) => soakSamples.reduce((b, s) => (Math.abs(s.t - t) < Math.abs(b.t - t) ? s : b));
  const first = soakSamples[0];
  const middle = near(soakSeconds / 2);
  const atMinute = near(60);
  const later = soakSamples.filter((s) => s.t >= 60);
  const minRss = later.length ? Math.min(...later.map((s) => s.rss_mb)) : NaN;
  const maxRss = later.length ? Math.max(...later.map((s) => s.rss_mb)) : NaN;
  const soakOps = soakPhase.stats.reduce((a, s) => a + s.n, 0);
  const soakErrors = soakPhase.stats.reduce((a, s) => a + s.errors, 0);
  const peakErrors = peakPhase ? peakPhase.stats.reduce((a, s) => a + s.errors, 0) : 0;
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  console.log('\n== summary');
  console.log(`machine: ${os.cpus().length} cores, load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (peakPhase) console.log(`peak (closed-loop, ${workers} workers, ${peakPhase.elapsed.toFixed(0)} s): ${peakRate.toFixed(0)} operations/s, ${peakErrors} errors, at most ${peakInflight} in flight`);
  console.log(`soak (open-loop, ${fixedRate !== undefined ? 'fixed rate' : `${fraction} of peak`}): ${rate.toFixed(0)} operations/s asked, ` +
    `${(soakOps / soakPhase.elapsed).toFixed(0)}/s achieved over ${soakPhase.elapsed.toFixed(0)} s, at most ${maxInflight} in flight, ` +
    `dispatch at most ${maxLagMs.toFixed(1)} ms late`);
  console.log(`requests to linkhub (peak + soak, a link is two): ${hubRequests}; operations: peak ${peakPhase ? peakPhase.stats.reduce((a, s) => a + s.n, 0) : 0}, soak ${soakOps}`);
  console.log(`errors: ${peakErrors + soakErrors} (peak ${peakErrors}, soak ${soakErrors}; must be 0)`);
  if (errorCauses.size) {
    console.log('errors by cause:');
    for (const [c, n] of [...errorCauses].sort((x, y) => y[1] - x[1])) console.log(`  ${String(n).padStart(8)}  ${c}`);
  }
  console.log(`accounts: ${initialAccounts} at the start, ${pool.length} at the end`);
  console.log(`RSS: after setup ${setup.rss_mb} MB; soak start ${first.rss_mb} MB, middle (${middle.t} s) ${middle.rss_mb} MB, ` +
    `end ${last.rss_mb} MB; at 1 minute ${atMinute.rss_mb} MB; after the first minute min ${minRss} MB, max ${maxRss} MB`);
  console.log(`fds: after setup ${setup.fds}, soak start ${first.fds}, end ${last.fds}`);
  console.log(`idle after the load (connections closed, ${idle.drained_seconds === null ? 'linkhub not answering' : `answering again after ${idle.drained_seconds.toFixed(1)} s`}): ` +
    `rss ${idle.rss_mb} MB, fds ${idle.fds}`);
  const ratio = last.rss_mb / atMinute.rss_mb;
  const leakOk = ratio <= leakRatio;
  console.log(`leak check: RSS at the end / RSS at 1 minute = ${ratio.toFixed(3)} (limit ${leakRatio}): ${leakOk ? 'ok' : 'FAILED'}`);
  const rows = [];
  for (const [label, ph] of [['peak', peakPhase], ['soak', soakPhase]]) {
    if (!ph) continue;
    for (let i = 0; i < kinds.length; i++) {
      const s = ph.stats[i];
      rows.push({ phase: label, kind: kinds[i].name, count: s.n, errors: s.errors,
        p50_ms: f(s.hist.q(0.5)), p99_ms: f(s.hist.q(0.99)), max_ms: f(s.hist.max) });
    }
    const all = new Hist();
    for (const s of ph.stats) { for (let b = 0; b < BUCKETS; b++) all.b[b] += s.hist.b[b]; all.n += s.hist.n; all.max = Math.max(all.max, s.hist.max); }
    rows.push({ phase: label, kind: 'all', count: ph.stats.reduce((a, s) => a + s.n, 0),
      errors: ph.stats.reduce((a, s) => a + s.errors, 0), p50_ms: f(all.q(0.5)), p99_ms: f(all.q(0.99)), max_ms: f(all.max) });
  }
  console.log('latency (soak: from the moment each operation was due):');
  console.log(`  ${'phase'.padEnd(6)}${'kind'.padEnd(26)}${'count'.padStart(9)}${'errors'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(10)}`);
  for (const r of rows) {
    console.log(`  ${r.phase.padEnd(6)}${r.kind.padEnd(26)}${String(r.count).padStart(9)}${String(r.errors).padStart(8)}` +
      `${r.p50_ms.padStart(9)}${r.p99_ms.padStart(9)}${r.max_ms.padStart(10)}`);
  }
  if (metrics) {
    console.log(`/metrics (${metricsNote}): linkhub_http_open_connections ${metrics.linkhub_http_open_connections}, process_resident_memory_bytes ` +
      `${metrics.process_resident_memory_bytes} (${(metrics.process_resident_memory_bytes / 1048576).toFixed(1)} MB), ` +
      `process_open_fds ${metrics.process_open_fds}, requests answered (all routes but /metrics) ${metrics.linkhub_http_requests_total}, ` +
      `exchanges ${JSON.stringify(metrics.linkhub_exchanges_total)}`);
    console.log(`/metrics (${metricsNote}): answers by status ${JSON.stringify(metrics.statuses)}; account cache ${JSON.stringify(metrics.account_cache)}; ` +
      `connections refused past --max-connections ${metrics.refused_connections}; ` +
      `contended database lock waits ${metrics.db_lock_waits} (${metrics.db_lock_wait_seconds?.toFixed(1)} s in all)`);
  }
  const warnings = hub.stderr().split('\n').filter((l) => l.trim());
  if (warnings.length) {
    console.log(`linkhub wrote ${warnings.length} log lines (--log-level warn); the first:`);
    for (const l of warnings.slice(0, 5)) console.log(`  ${l.slice(0, 300)}`);
  }
  if (jsonOut) {
    fs.writeFileSync(jsonOut, JSON.stringify({
      date: new Date().toISOString(), options: { minutes, peakSeconds, workers, fraction, initialAccounts, sampleSeconds, timeoutMs },
      peak_rate: peakRate, soak_rate: rate, setup, idle, samples, rows, metrics, hub_requests: hubRequests,
      accounts_end: pool.length, leak_ratio: ratio, errors: peakErrors + soakErrors,
      error_causes: Object.fromEntries(errorCauses), max_inflight: maxInflight, max_lag_ms: maxLagMs,
    }, null, 2));
  }
  if (peakErrors + soakErrors > 0 || !leakOk) exitCode = 1;
  if (Number(process.env.BENCH_HOLD) > 0) {
    console.log(`holding linkhub (pid ${pid}) for ${process.env.BENCH_HOLD} s`);
    await sleep(Number(process.env.BENCH_HOLD) * 1000);
  }
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  agent.destroy();
  try {
    if (hub) await hub.stop();
  } catch (e) {
    console.error(`linkhub did not stop cleanly: ${e.message.slice(0, 2000)}`);
    exitCode = 1;
  }
  try {
    await emu.stop();
  } catch (e) {
    console.error(`plaid-emulator did not stop cleanly: ${e.message.slice(0, 2000)}`);
  }
  if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
