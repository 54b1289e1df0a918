// Validates the emulator's sandbox fixtures (emulator/fixtures/*.json) against Plaid's OpenAPI
// schemas, after turning each fixture template into the object the emulator would serve.
//
// The spec is $PLAID_OPENAPI_SPEC when set, else the vendored third_party/plaid-openapi/2020-09-14.yml.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { specPath } from './lib/openapi.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const fixturesDir = path.join(repoRoot, 'emulator', 'fixtures');


const SPEC_ID = 'plaid.yml';
const SCHEMAS = [
  'Institution', 'AccountBase', 'NumbersACH', 'NumbersEFT', 'NumbersInternational', 'NumbersBACS',
  'CreditCardLiability', 'StudentLoan', 'MortgageLiability', 'Holding', 'InvestmentTransaction',
  'Security', 'Owner', 'Transaction', 'Products', 'CountryCode', 'CounterpartyType',
];

const readFixture = (name) => JSON.parse(fs.readFileSync(path.join(fixturesDir, name), 'utf8'));

// ---- "$date(N)" / "$datetime(N)" substitution, as the emulator does at response time.
const DAY_MS = 86400000;
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0); // fixed "today" keeps the test deterministic
const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const isoDateTime = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
function substituteDates(value) {
  if (typeof value === 'string') {
    let m = /^\$date\((-?\d+)\)$/.exec(value);
    if (m) return isoDate(NOW + Number(m[1]) * DAY_MS);
    m = /^\$datetime\((-?\d+)\)$/.exec(value);
    if (m) return isoDateTime(NOW + Number(m[1]) * DAY_MS);
    return value; // a malformed placeholder stays as is and fails its schema's date format
  }
  if (Array.isArray(value)) return value.map(substituteDates);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDates(v)]));
  }
  return value;
}

// ---- Ajv over the whole spec document; component schemas referenced by JSON pointer.
let ajv;
const validators = new Map();
function validatorFor(name) {
  if (!validators.has(name)) {
    validators.set(name, ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` }));
  }
  return validators.get(name);
}

// Collects every problem of one test, so that a failing run lists all of them at once.
class Problems {
  constructor() { this.list = []; }
  // Checks `value` against component schema `name`; records every Ajv error and the value.
  valid(name, value, where) {
    const validate = validatorFor(name);
    if (validate(value)) return true;
    const errors = validate.errors
      .map((e) => `    ${e.instancePath || '(root)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`)
      .join('\n');
    let shown = JSON.stringify(value);
    if (shown.length > 1500) shown = shown.slice(0, 1500) + '...';
    this.list.push(`${where} is not a valid ${name}:\n${errors}\n    value: ${shown}`);
    return false;
  }
  ok(condition, message) {
    if (!condition) this.list.push(message);
    return Boolean(condition);
  }
  done() {
    if (this.list.length) assert.fail(`${this.list.length} problem(s):\n- ${this.list.join('\n- ')}`);
  }
}

let doc, institutions, accounts, identity, securities, merchants;

before(() => {
  doc = YAML.parse(fs.readFileSync(specPath, 'utf8'), { maxAliasCount: -1 });
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv); // also knows OpenAPI's int32/int64/float/double/byte/binary/password
  ajv.addSchema(doc, SPEC_ID);

  institutions = readFixture('institutions.json').map(substituteDates);
  accounts = substituteDates(readFixture('accounts.json'));
  identity = readFixture('identity.json');
  securities = readFixture('securities.json').map(substituteDates);
  merchants = readFixture('merchants.json');
});

// Every string starting with "$" in any fixture must be one of the two date placeholder forms.
function findMalformedPlaceholders(value, where, out) {
  if (typeof value === 'string') {
    if (value.startsWith('$') && !/^\$(date|datetime)\(-?\d+\)$/.test(value)) out.push(`${where}: ${value}`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) findMalformedPlaceholders(v, `${where}.${k}`, out);
  }
  return out;
}

test('date placeholders are well-formed', () => {
  const bad = [];
  for (const name of fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json'))) {
    findMalformedPlaceholders(readFixture(name), name, bad);
  }
  assert.deepEqual(bad, [], `malformed placeholders:\n${bad.join('\n')}`);
});

test('the spec has every component schema this test uses', () => {
  for (const name of SCHEMAS) {
    assert.ok(doc.components?.schemas?.[name], `components/schemas/${name} missing from ${specPath}`);
  }
});

test('institutions.json: each is an Institution with a known account profile', () => {
  const p = new Problems();
  assert.ok(Array.isArray(institutions) && institutions.length > 0, 'institutions.json is not a non-empty array');
  const ids = new Set();
  for (const inst of institutions) {
    const { x_profile: profile, ...institution } = inst;
    const where = `institution ${inst.institution_id}`;
    p.valid('Institution', institution, where);
    p.ok(!ids.has(inst.institution_id), `${where}: duplicate institution_id`);
    ids.add(inst.institution_id);
    p.ok(accounts.profiles[profile], `${where}: x_profile ${JSON.stringify(profile)} is not a profile of accounts.json`);
    p.ok(/^#[0-9a-f]{6}$/i.test(inst.primary_color), `${where}: primary_color ${inst.primary_color} is not #rrggbb`);
    for (const key of ['dtc_numbers', 'url', 'primary_color', 'logo']) p.ok(key in inst, `${where}: missing ${key}`);
  }
  for (const id of ['ins_109508', 'ins_130016', 'ins_109509', 'ins_109510', 'ins_109511', 'ins_109512',
    'ins_43', 'ins_116834', 'ins_117650', 'ins_127287', 'ins_132241', 'ins_117181']) {
    p.ok(ids.has(id), `sandbox institution ${id} is missing`);
  }
  p.ok(institutions.some((i) => !i.products.includes('investments')),
    'no institution lacks a product, so "product not supported" cannot be exercised');
  p.done();
});

test('accounts.json: every template becomes a valid AccountBase and its parts validate', () => {
  const p = new Problems();
  const securityIds = new Set(securities.map((s) => s.security_id));
  const numbersSchema = { ach: 'NumbersACH', eft: 'NumbersEFT', international: 'NumbersInternational', bacs: 'NumbersBACS' };
  const liabilitySchema = { credit: 'CreditCardLiability', student: 'StudentLoan', mortgage: 'MortgageLiability' };
  const liabilitySubtype = { credit: 'credit card', student: 'student', mortgage: 'mortgage' };
  for (const profile of ['us_standard', 'us_depository', 'ca_standard', 'gb_standard']) {
    p.ok(Array.isArray(accounts.profiles[profile]) && accounts.profiles[profile].length > 0, `profile ${profile} is missing or empty`);
  }
  for (const [profile, templates] of Object.entries(accounts.profiles)) {
    const keys = new Set();
    for (const t of templates) {
      const where = `accounts.json ${profile}/${t.key}`;
      p.ok(typeof t.key === 'string' && t.key.length > 0, `${where}: key must be a non-empty string`);
      p.ok(!keys.has(t.key), `${where}: duplicate key`);
      keys.add(t.key);

      const { key, numbers, transactions, liability, holdings, investment_transactions: invTx, ...base } = t;
      const accountId = `acct_${profile}_${key}`.padEnd(37, 'x').slice(0, 37);
      p.ok(!('account_id' in base), `${where}: must not carry account_id`);
      p.valid('AccountBase', { account_id: accountId, ...base }, where);
      p.ok(['personal', 'business'].includes(t.holder_category), `${where}: holder_category ${t.holder_category}`);
      p.ok(typeof transactions === 'boolean', `${where}: transactions must be true or false`);
      const b = t.balances ?? {};
      p.ok((b.iso_currency_code === null) !== (b.unofficial_currency_code === null),
        `${where}: exactly one of iso_currency_code and unofficial_currency_code must be set`);

      // numbers: depository accounts only, each kind a valid Numbers* entry once account_id is added
      p.ok(t.type !== 'depository' || numbers, `${where}: depository account without numbers`);
      if (numbers !== undefined) {
        p.ok(t.type === 'depository', `${where}: numbers on a ${t.type} account`);
        p.ok(Object.keys(numbers).length > 0, `${where}: numbers is empty`);
        for (const [kind, value] of Object.entries(numbers)) {
          if (p.ok(numbersSchema[kind], `${where}: unknown numbers kind ${kind}`)) {
            p.valid(numbersSchema[kind], { account_id: accountId, ...value }, `${where} numbers.${kind}`);
          }
        }
        const acctNo = numbers.ach?.account ?? numbers.eft?.account ?? numbers.bacs?.account;
        p.ok(!acctNo || acctNo.slice(-4) === t.mask, `${where}: mask ${t.mask} is not the last 4 of ${acctNo}`);
      }

      // liability: credit and loan accounts only
      p.ok(!['credit', 'loan'].includes(t.type) || liability, `${where}: ${t.type} account without liability`);
      if (liability !== undefined) {
        const schema = liabilitySchema[liability.kind];
        if (p.ok(schema, `${where}: liability.kind ${JSON.stringify(liability.kind)}`)) {
          p.ok(t.subtype === liabilitySubtype[liability.kind], `${where}: ${liability.kind} liability on a ${t.subtype} account`);
          p.ok(!('account_id' in liability.data), `${where}: liability.data must not carry account_id`);
          p.valid(schema, { account_id: accountId, ...liability.data }, `${where} liability`);
        }
      }

      // holdings and investment transactions: investment accounts only
      if (t.type === 'investment') {
        p.ok(Array.isArray(holdings) && holdings.length > 0, `${where}: investment account without holdings`);
        p.ok(Array.isArray(invTx), `${where}: investment account without investment_transactions`);
      } else {
        p.ok(holdings === undefined, `${where}: holdings on a ${t.type} account`);
        p.ok(invTx === undefined, `${where}: investment_transactions on a ${t.type} account`);
      }
      let total = 0;
      (holdings ?? []).forEach((h, i) => {
        p.ok(!('account_id' in h), `${where} holdings[${i}]: must not carry account_id`);
        p.valid('Holding', { account_id: accountId, ...h }, `${where} holdings[${i}]`);
        p.ok(securityIds.has(h.security_id), `${where} holdings[${i}]: security ${h.security_id} not in securities.json`);
        total += h.institution_value;
      });
      p.ok(!holdings || Math.abs(total - b.current) < 0.01,
        `${where}: holdings add up to ${total} but the current balance is ${b.current}`);
      (invTx ?? []).forEach((tx, i) => {
        const at = `${where} investment_transactions[${i}]`;
        p.ok(!('account_id' in tx) && !('investment_transaction_id' in tx), `${at}: must not carry ids`);
        const full = { investment_transaction_id: `itx_${key}_${i}`.padEnd(37, 'x'), account_id: accountId, ...tx };
        p.valid('InvestmentTransaction', full, at);
        p.ok(tx.security_id === null || securityIds.has(tx.security_id), `${at}: security ${tx.security_id} not in securities.json`);
      });
    }
  }
  const masks = (accounts.profiles.us_standard ?? []).map((a) => a.mask);
  p.ok(JSON.stringify(masks) === JSON.stringify(
    ['0000', '1111', '2222', '3333', '4444', '5555', '6666', '7777', '8888', '9001', '9002', '9999']),
  `us_standard masks are ${masks.join(',')}`);
  p.done();
});

test('securities.json: each is a Security with a 37-char id', () => {
  const p = new Problems();
  assert.ok(Array.isArray(securities) && securities.length > 0, 'securities.json is not a non-empty array');
  const ids = new Set();
  for (const s of securities) {
    const where = `security ${s.ticker_symbol ?? s.name}`;
    p.valid('Security', s, where);
    p.ok(/^[0-9A-Za-z]{37}$/.test(s.security_id), `${where}: security_id ${s.security_id} is not 37 base62 chars`);
    p.ok(!ids.has(s.security_id), `${where}: duplicate security_id`);
    ids.add(s.security_id);
  }
  const types = new Set(securities.map((s) => s.type));
  for (const t of ['cash', 'equity', 'etf', 'mutual fund', 'fixed income', 'derivative']) {
    p.ok(types.has(t), `no security of type ${t}`);
  }
  p.done();
});

test('identity.json: each owner is an Owner', () => {
  const p = new Problems();
  assert.ok(Array.isArray(identity.owners) && identity.owners.length > 0, 'identity.json has no owners');
  identity.owners.forEach((o, i) => {
    p.valid('Owner', o, `identity.owners[${i}]`);
    p.ok(o.names.length > 0, `identity.owners[${i}]: names is empty`);
  });
  p.done();
});

test('merchants.json: a Transaction built from each template is valid', () => {
  const p = new Problems();
  assert.ok(Array.isArray(merchants), 'merchants.json is not an array');
  p.ok(merchants.length >= 20 && merchants.length <= 30, `${merchants.length} merchant templates, want 20-30`);
  const today = isoDate(NOW);
  merchants.forEach((mt, i) => {
    const where = `merchants[${i}] ${mt.name}`;
    for (const key of ['name', 'merchant_name', 'amount_min', 'amount_max', 'payment_channel',
      'personal_finance_category', 'category', 'category_id', 'website', 'logo_url', 'account_types',
      'every_days', 'transaction_type', 'location', 'counterparty_type']) {
      p.ok(key in mt, `${where}: missing ${key}`);
    }
    p.ok(mt.amount_min <= mt.amount_max, `${where}: amount_min > amount_max`);
    p.ok(mt.amount_max < 0 || mt.amount_min > 0, `${where}: amount range touches or crosses zero`);
    p.ok(Number.isInteger(mt.every_days) && mt.every_days >= 1, `${where}: every_days ${mt.every_days}`);
    p.ok(Array.isArray(mt.account_types) && mt.account_types.length > 0 &&
      mt.account_types.every((t) => t === 'depository' || t === 'credit'), `${where}: account_types`);
    const pfc = mt.personal_finance_category ?? {};
    p.ok(typeof pfc.detailed === 'string' && pfc.detailed.startsWith(`${pfc.primary}_`),
      `${where}: detailed category ${pfc.detailed} does not extend primary ${pfc.primary}`);
    p.valid('CounterpartyType', mt.counterparty_type, `${where} counterparty_type`);

    const tx = {
      transaction_id: `txn${i}`.padEnd(37, '0'),
      account_id: 'acct'.padEnd(37, '0'),
      amount: mt.amount_min,
      iso_currency_code: 'USD',
      unofficial_currency_code: null,
      category: mt.category,
      category_id: mt.category_id,
      check_number: null,
      date: today,
      datetime: null,
      authorized_date: today,
      authorized_datetime: null,
      location: mt.location,
      name: mt.name,
      merchant_name: mt.merchant_name,
      merchant_entity_id: mt.merchant_name ? 'ent'.padEnd(37, '0') : null,
      logo_url: mt.logo_url,
      website: mt.website,
      payment_meta: { by_order_of: null, payee: null, payer: null, payment_method: null,
        payment_processor: null, ppd_id: null, reason: null, reference_number: null },
      payment_channel: mt.payment_channel,
      pending: false,
      pending_transaction_id: null,
      account_owner: null,
      transaction_code: null,
      transaction_type: mt.transaction_type,
      personal_finance_category: mt.personal_finance_category,
      counterparties: [{ name: mt.merchant_name ?? mt.name, type: mt.counterparty_type, entity_id: null,
        confidence_level: 'VERY_HIGH', logo_url: mt.logo_url, website: mt.website }],
    };
    p.valid('Transaction', tx, where);
  });
  p.done();
});
