// Child-process helpers: every traced app in the tests is a real Node process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const fixtures = path.join(repoRoot, 'test', 'fixtures');
export const registerCjs = path.join(repoRoot, 'dist', 'register.js');
export const registerEsm = path.join(repoRoot, 'dist', 'register.mjs');

/** Environment for a child: no inherited OTEL_/DD_/AWS_ settings, so each test states what it sets. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OTEL_|DD_|AWS_|_X_AMZN|LAMBDA_|_HANDLER|NODE_OPTIONS|npm_)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs node (`node`: another Node binary) with args; resolves {code, signal, stdout, stderr, ms}. Kills it after timeoutMs. */
export function runNode(args, { env = cleanEnv(), cwd = repoRoot, timeoutMs = 20_000, input, node = process.execPath } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(node, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Starts a long-running node process (`node`: another Node binary); resolves once it prints a line matching `ready`. */
export function startNode(args, { env = cleanEnv(), cwd = repoRoot, ready = /listening on (\d+)/, timeoutMs = 15_000, node = process.execPath } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} not ready within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(ready);
      if (m && timer) {
        clearTimeout(timer);
        resolve({
          child,
          match: m,
          output: () => ({ stdout, stderr }),
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res({ code: child.exitCode, signal: child.signalCode });
              child.once('close', (code, sig) => res({ code, signal: sig }));
              child.kill(signal);
            }),
        });
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${args.join(' ')} exited (${code}) before ready\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** Resident memory of a running process, in bytes (Linux /proc). */
export function rssBytes(pid) {
  return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1]) * 1024;
}
