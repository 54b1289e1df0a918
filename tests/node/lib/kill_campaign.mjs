// A SIGKILL campaign against linking: `linkers` clients link banks concurrently through the Hub
// API while the hub is killed with SIGKILL `kills` times at random moments and restarted on the
// same data directory. A client whose request died with the hub posts the same public token
// again once the hub is back, until it gets an answer (as the Hub page does), then links the
// next bank. At the end the emulator's live Items are compared with the hub's accounts: an Item
// no account holds is an orphan, and `linkhub items orphans` should list it.
//
// Used by tests/node/hub_kill_campaign.test.mjs (a bounded run in the suite) and
// bench/crash_orphans.mjs (long runs, and builds compared).
import { startEmulator } from './emulator.mjs';
import { startHub, call, connectSession, sandboxPublicToken, newDataDir, newMasterKey, admin } from './hub.mjs';

const INSTITUTION = 'ins_109508';

// A small deterministic generator, so that a run can be repeated.
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const REQUEST_BOUND_MS = 5000;
const trace = process.env.KILL_CAMPAIGN_TRACE ? (...a) => console.error(...a) : () => {};

// Options: binary (the linkhub to run), kills, linkers, seed, maxDelayMs (the longest a kill
// waits after the hub is back), listOrphans (whether this build has `items orphans`).
// Resolves to the figures of the run.
export async function runKillCampaign({
  binary, kills = 20, linkers = 5, seed = 1, maxDelayMs = 250, listOrphans = true,
} = {}) {
  const rand = random(seed);
  const emu = await startEmulator(['--transactions-initial-delay', '0', '--rate-limits', 'off']);
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const state = { hub: null, ready: null, stopping: false };
  const outcomes = [];
  // Resolves once `n` links have an outcome: each kill waits for one more link than the last, so
  // that every restart is followed by work whatever the machine's speed (kills at random moments
  // alone gave a loaded machine too few links between them to mean anything).
  const linkWaiters = [];
  function recordOutcome(o) {
    outcomes.push(o);
    for (let i = linkWaiters.length - 1; i >= 0; --i) {
      if (outcomes.length >= linkWaiters[i].n) linkWaiters.splice(i, 1)[0].resolve();
    }
  }
  function linksReach(n) {
    return outcomes.length >= n ? Promise.resolve() : new Promise((resolve) => linkWaiters.push({ n, resolve }));
  }
  try {
    state.hub = await startHub(emu, { binary, dataDir, masterKey });
    state.ready = Promise.resolve();
    const project = await admin(dataDir, masterKey, ['project', 'create', '--name', 'kills'], { binary });
    const key = project.api_key;

    // Runs `fn` against the hub; when the hub is down (or dies during it), waits for it to be
    // back and runs it again. A request to a hub killed while it was being made can stay
    // unsettled in Node's fetch, so each attempt is bounded; a hub that is alive and does not
    // answer in that time fails the run.
    async function whileUp(fn) {
      for (;;) {
        const ready = state.ready;
        await ready;
        try {
          return await fn(state.hub, AbortSignal.timeout(REQUEST_BOUND_MS));
        } catch (e) {
          if (state.ready === ready) {
            // The hub is up and the call failed anyway: not what this campaign is about.
            if (state.hub.process.exitCode === null && state.hub.process.signalCode === null) throw e;
            await wait(5);  // the killer has not published the restart yet
          }
        }
      }
    }

    async function linker(i) {
      for (let n = 0; !state.stopping; ++n) {
        const owner = `owner-${i}-${n}`;  // one bank per owner: the duplicate guard stays out
        const linkSessionId = `lsid-${i}-${n}`;
        const session = await whileUp(
          (hub, signal) => connectSession(hub, key, { origin_owner_id: owner }, { signal }));
        const publicToken = await sandboxPublicToken(emu, INSTITUTION);
        const body = {
          integration_id: 'plaid',
          credentials: { public_token: publicToken },
          metadata: { link_session_id: linkSessionId },
        };
        let attempts = 0;
        const res = await whileUp((hub, signal) => {
          ++attempts;
          return call(hub, 'POST', '/hub/accounts', { session: session.token, body, signal });
        });
        recordOutcome({
          linkSessionId, status: res.status, retried: attempts > 1,
          code: res.body?.provider_errors?.[0]?.error_code ?? null,
          message: res.status === 201 ? null : res.body?.message,
        });
      }
    }

    const clients = Array.from({ length: linkers }, (_, i) => linker(i));
    for (let k = 0; k < kills; ++k) {
      await linksReach(k + 1);
      await wait(Math.floor(rand() * maxDelayMs));
      let release;
      state.ready = new Promise((r) => { release = r; });
      trace(`kill ${k}`);
      await state.hub.kill();
      trace(`killed ${k}`);
      state.hub = await startHub(emu, { binary, dataDir, masterKey });
      trace(`restarted ${k}`);
      release();
    }
    await linksReach(kills + 1);  // work after the last restart too
    state.stopping = true;
    trace('stopping');
    await Promise.all(clients);
    trace('stopped');

    // What Plaid holds, against what the hub holds.
    const { items } = await emu.control('GET', '/emulator/items');
    const live = items.filter((i) => i.exchanged && !i.removed).map((i) => i.item_id);
    const accounts = [];
    for (let page = 1; ; ++page) {
      const res = await call(state.hub, 'GET', `/accounts?page=${page}&page_size=100`, { key });
      if (res.status !== 200) throw new Error(`GET /accounts: ${res.status} ${JSON.stringify(res.body)}`);
      accounts.push(...res.body);
      if (res.body.length < 100) break;
    }
    const held = new Set(accounts.map((a) => a.plaid?.item_id).filter(Boolean));
    const orphansAtPlaid = live.filter((id) => !held.has(id));
    const listed = listOrphans
      ? await admin(dataDir, masterKey, ['items', 'orphans'], { binary })
      : null;
    return {
      kills,
      links: outcomes.length,
      linked: outcomes.filter((o) => o.status === 201).length,
      outcomes,
      accounts,
      halfLinked: accounts.filter((a) => a.status !== 'active' || !a.plaid?.item_id),
      accountsWithoutLiveItem: accounts.filter((a) => !live.includes(a.plaid?.item_id)),
      orphansAtPlaid,
      listed,
      hub: state.hub,
    };
  } finally {
    try {
      if (state.hub) await state.hub.stop();
    } finally {
      await emu.stop();
    }
  }
}
