// After the suite: scans every file of every data directory the tests left under
// LINKHUB_TEST_DATA_ROOT for secrets in plaintext. Secrets are stored sealed (access tokens, item
// ids) or as keyed hashes (API keys, session tokens, public tokens), so none of these prefixes
// may appear in any byte of a database, its WAL or its shared-memory file.
// Usage: node tests/node/scan_data_dirs.mjs DIR
import fs from 'node:fs';
import path from 'node:path';

const root = process.argv[2];
if (!root || !fs.existsSync(root)) {
  console.error(`scan_data_dirs: no such directory ${root}`);
  process.exit(2);
}
// Whole secrets, not prefixes: an API key's first characters are stored on purpose (so a person
// can tell keys apart), the rest never.
const patterns = [
  [/access-(sandbox|production|development)-[0-9a-f-]{36}/, 'a Plaid access token'],
  [/public-(sandbox|production)-[0-9a-f-]{36}/, 'a Plaid public token'],
  [/linkhub-demo-secret/, 'the Plaid secret'],
  [/lh_live_[0-9A-Za-z]{40}/, 'an API key'],
  [/lhcs_[0-9A-Za-z]{43}/, 'a connect-session token'],
  [/whsec_[A-Za-z0-9+/]{32}/, 'a webhook endpoint secret'],
];
let files = 0;
const findings = [];
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(p);
    } else if (entry.isFile()) {
      files++;
      const text = fs.readFileSync(p).toString('latin1');
      for (const [pattern, what] of patterns) {
        if (pattern.test(text)) findings.push(`${p}: contains ${what}`);
      }
    }
  }
}
walk(root);
if (files === 0) {
  console.error(`scan_data_dirs: ${root} holds no files; the hub tests did not use it`);
  process.exit(1);
}
if (findings.length) {
  console.error(`scan_data_dirs: plaintext secrets found:\n${findings.join('\n')}`);
  process.exit(1);
}
console.error(`scan_data_dirs: ${files} files scanned, no plaintext secret found`);
