// A local webhook receiver and Plaid webhook verification (plaid-api.md §6.3) for the tests.
import crypto from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';

// Starts a node:http server on 127.0.0.1:0 that records every request and answers 200 `{}`.
// `url(p)` gives the absolute URL of path `p` on it; `received` holds
// {path, method, headers, rawBody: Buffer, json, at} in arrival order; `waitFor(pred, ms)` resolves with
// the first recorded request that satisfies `pred` (already received or arriving within `ms`);
// `waitForCount(pred, n, ms)` resolves with all matches once there are n.
export async function startWebhookReceiver() {
  const received = [];
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      let json;
      try { json = JSON.parse(rawBody.toString('utf8')); } catch { json = undefined; }
      const rec = { path: req.url, method: req.method, headers: req.headers, rawBody, json, at: Date.now() };
      received.push(rec);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      for (const w of [...waiters]) {
        if (w.pred(rec)) { waiters.delete(w); clearTimeout(w.timer); w.resolve(rec); }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}`;
  function waitFor(pred, ms = 5000, what = 'webhook') {
    const hit = received.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`no ${what} within ${ms} ms; received so far: ` +
          JSON.stringify(received.map((r) => ({ path: r.path, type: r.json?.webhook_type, code: r.json?.webhook_code })))));
      }, ms);
      waiters.add(w);
    });
  }
  // Resolves with all recorded requests matching `pred` once there are at least `count` of them.
  async function waitForCount(pred, count, ms = 5000, what = 'webhooks') {
    const deadline = Date.now() + ms;
    for (;;) {
      const hits = received.filter(pred);
      if (hits.length >= count) return hits;
      if (Date.now() >= deadline) {
        throw new Error(`only ${hits.length} of ${count} ${what} within ${ms} ms; received so far: ` +
          JSON.stringify(received.map((r) => ({ path: r.path, type: r.json?.webhook_type, code: r.json?.webhook_code }))));
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  async function close() {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
  return { base, url: (p = '/') => base + p, received, waitFor, waitForCount, close };
}

export function base64urlDecode(s) {
  return Buffer.from(s, 'base64url');
}

export function sha256Hex(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

export class WebhookVerificationError extends Error {
  constructor(msg) { super(msg); this.name = 'WebhookVerificationError'; }
}

// Verifies a Plaid webhook exactly as plaid-api.md §6.3 describes:
//  1. read `Plaid-Verification` (case-insensitive), a compact JWS;
//  2. decode its header without verifying; require alg ES256; take `kid`;
//  3. `getKey(kid)` -> the JWK (the caller fetches it with webhookVerificationKeyGet); reject expired keys;
//  4. verify the ES256 signature (raw r||s, ieee-p1363) over `<header>.<payload>`;
//  5. require `iat` within `maxAgeSeconds` of `nowSeconds` (a number, or an array of acceptable "now"s);
//  6. require `request_body_sha256` == SHA-256 hex of the raw body bytes (constant-time compare).
// Returns {header, claims, key, clock} (clock: index into nowSeconds that matched). Throws WebhookVerificationError naming the failed step.
export async function verifyPlaidWebhook({ headers, rawBody, getKey, nowSeconds, maxAgeSeconds = 300 }) {
  const token = headers['plaid-verification'] ??
    Object.entries(headers).find(([k]) => k.toLowerCase() === 'plaid-verification')?.[1];
  if (typeof token !== 'string' || token === '') throw new WebhookVerificationError('no Plaid-Verification header');
  const parts = token.split('.');
  if (parts.length !== 3) throw new WebhookVerificationError(`Plaid-Verification is not a compact JWS: ${token.slice(0, 60)}`);
  const [h64, p64, s64] = parts;
  let header;
  try { header = JSON.parse(base64urlDecode(h64).toString('utf8')); } catch (e) {
    throw new WebhookVerificationError(`JWT header is not base64url JSON: ${e.message}`);
  }
  if (header.alg !== 'ES256') throw new WebhookVerificationError(`JWT alg is ${JSON.stringify(header.alg)}, not ES256`);
  if (typeof header.kid !== 'string' || header.kid === '') throw new WebhookVerificationError('JWT header has no kid');
  const jwk = await getKey(header.kid);
  if (!jwk) throw new WebhookVerificationError(`no key for kid ${header.kid}`);
  if (jwk.expired_at !== null && jwk.expired_at !== undefined) {
    throw new WebhookVerificationError(`key ${header.kid} expired at ${jwk.expired_at}`);
  }
  let key;
  try {
    key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  } catch (e) {
    throw new WebhookVerificationError(`JWK import failed: ${e.message}`);
  }
  const signingInput = Buffer.from(`${h64}.${p64}`, 'ascii');
  const sig = base64urlDecode(s64);
  if (sig.length !== 64) throw new WebhookVerificationError(`ES256 signature is ${sig.length} bytes, expected 64 (r||s)`);
  const ok = crypto.verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, sig);
  if (!ok) throw new WebhookVerificationError('ES256 signature does not verify');
  let claims;
  try { claims = JSON.parse(base64urlDecode(p64).toString('utf8')); } catch (e) {
    throw new WebhookVerificationError(`JWT payload is not base64url JSON: ${e.message}`);
  }
  if (!Number.isInteger(claims.iat)) throw new WebhookVerificationError(`iat is not an integer: ${JSON.stringify(claims.iat)}`);
  const nows = Array.isArray(nowSeconds) ? nowSeconds : [nowSeconds];
  const fresh = nows.findIndex((n) => Math.abs(n - claims.iat) <= maxAgeSeconds);
  if (fresh < 0) {
    throw new WebhookVerificationError(`iat ${claims.iat} is ${nows.map((n) => n - claims.iat).join(' / ')} s away ` +
      `from now ${nows.join(' / ')} (limit ${maxAgeSeconds})`);
  }
  const want = Buffer.from(sha256Hex(rawBody), 'utf8');
  const got = Buffer.from(String(claims.request_body_sha256 ?? ''), 'utf8');
  if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) {
    throw new WebhookVerificationError(`request_body_sha256 ${claims.request_body_sha256} != sha256(body) ${want}`);
  }
  return { header, claims, key: jwk, clock: fresh };
}
