// HAProxy (Debian's, scripts/install-haproxy.sh) in front of the gateway collectors, on
// 127.0.0.1, as docs/collector.md describes: TCP mode (TLS passes through to the gateways,
// which check the certificate and the token), round robin per connection, a health check
// every 500 ms, and a failed connection sent to another gateway.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { rssBytes } from './processes.mjs';

export function haproxyBinary() {
  for (const candidate of ['/usr/sbin/haproxy', '/usr/bin/haproxy']) if (fs.existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('haproxy is not installed: run scripts/install-haproxy.sh (npm test does, through scripts/install-test-deps.sh)');
  }
}

/** The configuration docs/collector.md shows, with test ports (and a runtime API socket in `dir`). */
export function haproxyConfig({ port, backends, adminSocket }) {
  return `global
  maxconn 2000
${adminSocket ? `  stats socket ${adminSocket} mode 600 level admin\n` : ''}
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # A connection that cannot be made is tried again, on another gateway.
  retries 3
  option redispatch

frontend otlp_gateways
  bind 127.0.0.1:${port}
  default_backend gateways

backend gateways
  balance roundrobin
${backends.map((b, i) => `  server gw${i + 1} 127.0.0.1:${b} check inter 500ms fall 1 rise 2`).join('\n')}
`;
}

export async function startHaproxy({ port, backends }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-'));
  const config = path.join(dir, 'haproxy.cfg');
  const adminSocket = path.join(dir, 'admin.sock');
  fs.writeFileSync(config, haproxyConfig({ port, backends, adminSocket }));
  execFileSync(haproxyBinary(), ['-c', '-q', '-f', config]);
  // -db: foreground, no daemon: one process, stopped by its pid.
  const child = spawn(haproxyBinary(), ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}):\n${log}`);
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy not listening within 10 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://localhost:${port}`,
    pid: child.pid,
    log: () => log,
    /** One command on HAProxy's runtime API (e.g. `disable server gateways/gw2`); resolves its answer. */
    command(line) {
      return new Promise((resolve, reject) => {
        let answer = '';
        const socket = net.connect(adminSocket, () => socket.end(`${line}\n`));
        socket.on('data', (d) => (answer += d));
        socket.on('end', () => resolve(answer.trim()));
        socket.on('error', reject);
      });
    },
    /**
     * Takes backend server `name` (gw1, gw2...) out of rotation and closes its connections, so
     * senders reconnect to the others: what to do before stopping a gateway (docs/collector.md).
     */
    async drain(name) {
      await this.command(`disable server gateways/${name}`);
      await this.command(`shutdown sessions server gateways/${name}`);
    },
    async undrain(name) {
      await this.command(`enable server gateways/${name}`);
    },
    rssBytes: () => rssBytes(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}
