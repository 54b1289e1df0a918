#!/usr/bin/env node
// The orphan rate under SIGKILL: runs the kill campaign of tests/node/lib/kill_campaign.mjs
// (five clients linking, the hub killed at random moments and restarted, killed requests posted
// again) and reports, per 100 kills, the Items Plaid holds that no account does, and how many of
// them linkhub lists (`linkhub items orphans`).
//
// Usage: node bench/crash_orphans.mjs [--kills N] [--linkers N] [--seed N] [--binary PATH]
//                                      [--no-list]   (a build without `items orphans`)
// Needs build/bin/plaid-emulator (scripts/build). Prints one JSON object.
import path from 'node:path';
import { runKillCampaign } from '../tests/node/lib/kill_campaign.mjs';
import { hubBinary } from '../tests/node/lib/hub.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const binary = path.resolve(opt('binary', hubBinary));
const kills = Number(opt('kills', 100));
const linkers = Number(opt('linkers', 5));
const seed = Number(opt('seed', 1));
const listOrphans = !args.includes('--no-list');

const started = Date.now();
const r = await runKillCampaign({ binary, kills, linkers, seed, listOrphans });
const orphans = r.orphansAtPlaid.length;
const listed = r.listed ? r.listed.filter((o) => o.certainty === 'definite').length : null;
console.log(JSON.stringify({
  binary,
  kills,
  linkers,
  seed,
  links: r.links,
  linked: r.linked,
  half_linked: r.halfLinked.length,
  orphans_at_plaid: orphans,
  orphans_per_100_kills: Math.round((orphans / kills) * 1000) / 10,
  orphans_listed_definite: listed,
  orphans_listed_possible: r.listed ? r.listed.length - listed : null,
  seconds: Math.round((Date.now() - started) / 100) / 10,
}));
