// Starts build/bin/plaid-emulator on a free loopback port for one test file and stops it after.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const emulatorBinary =
  process.env.PLAID_EMULATOR_BIN || path.join(repoRoot, 'build', 'bin', 'plaid-emulator');

export const DEMO_CLIENT_ID = 'linkhub-demo-client';
export const DEMO_SECRET = 'linkhub-demo-secret';

// Starts the emulator with `args` appended to `--listen 127.0.0.1:0`. Resolves to
// {url, process, stop(), control(method, path, body)} once the emulator printed its one line.
export async function startEmulator(args = []) {
  const child = spawn(emulatorBinary, ['--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = out.match(/^plaid-emulator listening on (http:\/\/127\.0\.0\.1:\d+)\n/m);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`plaid-emulator exited with ${code} before listening:\n${stderr}`)));
  });
  // Stops the emulator with SIGTERM and requires a clean exit: a crash, a sanitizer report or a
  // shutdown that does not finish fails the test that started it.
  async function stop() {
    let code = child.exitCode;
    let signal = child.signalCode;
    if (code === null && signal === null) {
      child.kill('SIGTERM');
      [code, signal] = await once(child, 'exit');
    }
    if (code !== 0) {
      throw new Error(`plaid-emulator exited with ${code ?? signal} on SIGTERM:\n${stderr.slice(-4000)}`);
    }
    return code;
  }
  async function control(method, p, body) {
    const res = await fetch(url + p, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = text; }
    if (!res.ok) throw new Error(`${method} ${p} -> ${res.status}: ${text}`);
    return json;
  }
  // Calls a Plaid endpoint with the demo credentials in the headers; returns {status, body}.
  async function plaid(p, body, { clientId = DEMO_CLIENT_ID, secret = DEMO_SECRET } = {}) {
    const res = await fetch(url + p, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'PLAID-CLIENT-ID': clientId,
        'PLAID-SECRET': secret,
        'Plaid-Version': '2020-09-14',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }
  return { url, process: child, stop, control, plaid, stderr: () => stderr };
}
