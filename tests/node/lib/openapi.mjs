// Validates emulator responses against Plaid's OpenAPI spec (2020-09-14), the source of truth for shapes.
//
// The spec is loaded once, on first use, and added to one Ajv 8 instance under the id `plaid.yml`, so
// validators are just `{$ref: 'plaid.yml#/components/schemas/X'}`; they are compiled lazily and cached.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
export const specPath = process.env.PLAID_OPENAPI_SPEC ||
  path.resolve(here, '..', '..', '..', 'third_party', 'plaid-openapi', '2020-09-14.yml');

const SPEC_ID = 'plaid.yml';

let state = null;  // {doc, ajv, cache: Map<string, ValidateFunction>}

// OpenAPI 3.0 `nullable` as Ajv 8 understands it needs a sibling `type`. Two spec patterns need help:
//  * `{nullable: true, allOf: [...]}` with no `type` (Ajv refuses to compile it): rewritten to
//    `{anyOf: [{type: 'null'}, <the schema without nullable>]}`.
//  * `{nullable: true, enum: [...]}` whose enum lacks null: Ajv would still reject null through the
//    enum, although OpenAPI 3.0 says `nullable: true` allows null. null is appended to the enum.
// Both keep the meaning the spec states; nothing else is changed.
function normalizeNullable(node) {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = normalizeNullable(node[i]);
    return node;
  }
  if (!node || typeof node !== 'object') return node;
  for (const k of Object.keys(node)) node[k] = normalizeNullable(node[k]);
  if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) {
    node.enum = [...node.enum, null];
  }
  if (node.nullable === true && node.type === undefined && node.$ref === undefined) {
    const { nullable, description, title, ...rest } = node;
    const out = { anyOf: [{ type: 'null' }, rest] };
    if (description !== undefined) out.description = description;
    if (title !== undefined) out.title = title;
    return out;
  }
  return node;
}

function init() {
  if (state) return state;
  const doc = YAML.parse(fs.readFileSync(specPath, 'utf8'));
  normalizeNullable(doc.components);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // ajv-formats' `url` is a legacy regex that rejects hosts without a TLD (127.0.0.1, localhost); the
  // tests' webhook receivers live on 127.0.0.1. Accept any absolute http(s) URL the WHATWG parser takes.
  ajv.addFormat('url', {
    type: 'string',
    validate: (s) => {
      try { const u = new URL(s); return u.protocol === 'http:' || u.protocol === 'https:'; } catch { return false; }
    },
  });
  ajv.addFormat('cognito_id', true);
  ajv.addSchema(doc, SPEC_ID);
  state = { doc, ajv, cache: new Map() };
  return state;
}

export function spec() {
  return init().doc;
}

function validatorFor(ref) {
  const { ajv, cache } = init();
  let v = cache.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: `${SPEC_ID}${ref}` });
    cache.set(ref, v);
  }
  return v;
}

function valueAt(body, instancePath) {
  let cur = body;
  for (const seg of instancePath.split('/').slice(1)) {
    if (cur == null) return undefined;
    cur = cur[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function short(v) {
  let s;
  try { s = JSON.stringify(v); } catch { s = String(v); }
  if (s === undefined) s = 'undefined';
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
}

export function formatAjvErrors(errors, body) {
  // allErrors on anyOf/oneOf produces many branch errors; keep them but de-duplicate.
  const seen = new Set();
  const lines = [];
  for (const e of errors || []) {
    const where = e.instancePath || '(root)';
    let extra = '';
    if (e.keyword === 'additionalProperties') extra = ` (${e.params.additionalProperty})`;
    if (e.keyword === 'enum') extra = ` (allowed: ${short(e.params.allowedValues)})`;
    const line = `${where}: ${e.message}${extra}; got ${short(valueAt(body, e.instancePath))} [${e.schemaPath}]`;
    if (!seen.has(line)) { seen.add(line); lines.push(line); }
  }
  return lines.join('\n  ');
}

export class SchemaMismatchError extends Error {
  constructor(what, errors, body) {
    super(`${what} does not match the OpenAPI spec:\n  ${formatAjvErrors(errors, body)}\nbody: ${short(body).slice(0, 160)}`);
    this.name = 'SchemaMismatchError';
    Object.defineProperty(this, 'ajvErrors', { value: errors, enumerable: false });
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
  }
}

// Throws SchemaMismatchError unless `body` matches components.schemas[name].
export function assertMatchesSchema(name, body, what = `schema ${name}`) {
  const { doc } = init();
  if (!doc.components.schemas[name]) throw new Error(`no components.schemas.${name} in the spec`);
  const v = validatorFor(`#/components/schemas/${name}`);
  if (!v(body)) throw new SchemaMismatchError(what, v.errors, body);
}

// Name of the response schema for `POST <p>` with HTTP `status`: the 200 schema for 2xx, PlaidError otherwise.
export function responseSchemaName(p, status) {
  const { doc } = init();
  const op = doc.paths[p]?.post;
  if (!op) throw new Error(`the spec has no POST ${p}`);
  if (status >= 200 && status < 300) {
    const schema = op.responses?.['200']?.content?.['application/json']?.schema;
    if (!schema?.$ref) throw new Error(`POST ${p} has no 200 application/json schema $ref in the spec`);
    return schema.$ref.replace('#/components/schemas/', '');
  }
  return 'PlaidError';
}

// Throws with readable Ajv errors unless `body` is what the spec allows for `POST <p>` answering `status`.
export function assertMatchesResponseSchema(p, status, body) {
  const name = responseSchemaName(p, status);
  const what = `POST ${p} -> ${status} body (${name})`;
  if (name === 'PlaidError') {
    // PlaidError is `nullable` in the spec (for item.error); an error *response* must be an object.
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new Error(`${what} is not a JSON object: ${short(body)}`);
    }
  }
  assertMatchesSchema(name, body, what);
}

// Webhook payload schemas by `${webhook_type}/${webhook_code}`.
export const WEBHOOK_SCHEMAS = {
  'TRANSACTIONS/SYNC_UPDATES_AVAILABLE': 'SyncUpdatesAvailableWebhook',
  'TRANSACTIONS/DEFAULT_UPDATE': 'DefaultUpdateWebhook',
  'TRANSACTIONS/INITIAL_UPDATE': 'InitialUpdateWebhook',
  'TRANSACTIONS/HISTORICAL_UPDATE': 'HistoricalUpdateWebhook',
  'TRANSACTIONS/TRANSACTIONS_REMOVED': 'TransactionsRemovedWebhook',
  'TRANSACTIONS/RECURRING_TRANSACTIONS_UPDATE': 'RecurringTransactionsUpdateWebhook',
  'ITEM/ERROR': 'ItemErrorWebhook',
  'ITEM/WEBHOOK_UPDATE_ACKNOWLEDGED': 'WebhookUpdateAcknowledgedWebhook',
  'ITEM/LOGIN_REPAIRED': 'ItemLoginRepairedWebhook',
  'ITEM/PENDING_EXPIRATION': 'PendingExpirationWebhook',
  'ITEM/PENDING_DISCONNECT': 'PendingDisconnectWebhook',
  'ITEM/USER_PERMISSION_REVOKED': 'UserPermissionRevokedWebhook',
  'ITEM/USER_ACCOUNT_REVOKED': 'UserAccountRevokedWebhook',
  'ITEM/NEW_ACCOUNTS_AVAILABLE': 'NewAccountsAvailableWebhook',
  'HOLDINGS/DEFAULT_UPDATE': 'HoldingsDefaultUpdateWebhook',
  'INVESTMENTS_TRANSACTIONS/DEFAULT_UPDATE': 'InvestmentsDefaultUpdateWebhook',
  'INVESTMENTS_TRANSACTIONS/HISTORICAL_UPDATE': 'InvestmentsHistoricalUpdateWebhook',
  'LIABILITIES/DEFAULT_UPDATE': 'LiabilitiesDefaultUpdateWebhook',
  'AUTH/DEFAULT_UPDATE': 'AuthDefaultUpdateWebhook',
};

// Validates a webhook payload against its schema (by type/code); throws for an unknown pair.
export function assertMatchesWebhookSchema(payload) {
  const key = `${payload?.webhook_type}/${payload?.webhook_code}`;
  const name = WEBHOOK_SCHEMAS[key];
  if (!name) throw new Error(`no webhook schema known for ${key}`);
  assertMatchesSchema(name, payload, `webhook ${key} (${name})`);
}
