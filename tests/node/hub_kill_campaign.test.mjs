// A bounded SIGKILL campaign (tests/node/lib/kill_campaign.mjs): twenty kills of a hub while five
// clients link banks, each killed request posted again after the restart. Whatever the moment of
// each kill, no account is half-linked, every account's Item is live at Plaid, and every Item
// Plaid holds that no account does is known: listed by `linkhub items orphans` as definite, with
// the link_session_id whose retry Plaid refused. Nothing stays "possible": every retry settled
// its exchange. bench/crash_orphans.mjs runs longer campaigns and reports the orphan rate.
//
// Run: node --test tests/node/hub_kill_campaign.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKillCampaign } from './lib/kill_campaign.mjs';
import { hubBinary } from './lib/hub.mjs';

test('twenty SIGKILLs during concurrent linking: nothing half-linked or duplicated, every orphan known', async () => {
  const r = await runKillCampaign({ binary: hubBinary, kills: 20, linkers: 5, seed: 20261202 });
  assert.ok(r.links > 20, `too few links to mean anything: ${r.links}`);
  assert.deepEqual(r.halfLinked, [], 'no half-linked account');
  assert.deepEqual(r.accountsWithoutLiveItem, [], "every account's Item is live at Plaid");
  // Every answer a client got is one the contract names.
  for (const o of r.outcomes) {
    const known = o.status === 201 || (o.status === 400 && o.code === 'INVALID_PUBLIC_TOKEN' && o.retried);
    assert.ok(known, `unexpected answer: ${JSON.stringify(o)}`);
  }
  assert.equal(r.linked, r.accounts.length, 'each 201 is one account, and each account a 201');
  const items = r.accounts.map((a) => a.plaid.item_id);
  assert.equal(new Set(items).size, items.length, 'no Item held by two accounts');

  const definite = r.listed.filter((o) => o.certainty === 'definite');
  const possible = r.listed.filter((o) => o.certainty === 'possible');
  assert.deepEqual(possible, [], 'every retry settled its exchange');
  assert.equal(definite.length, r.orphansAtPlaid.length,
    `Plaid holds ${r.orphansAtPlaid.length} Items no account does; ${definite.length} are listed`);
  // The orphans are exactly the links whose retry Plaid refused, by link_session_id.
  const refused = r.outcomes.filter((o) => o.status === 400).map((o) => o.linkSessionId).sort();
  assert.deepEqual(definite.map((o) => o.link_session_id).sort(), refused);
});
