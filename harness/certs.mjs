// Certificates made at test time with openssl (Debian's), in a private temporary directory:
// a CA, a server certificate for localhost / 127.0.0.1, a client certificate, an expired
// client certificate, and a bearer token. Nothing here is ever printed.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Resolves the file paths; `remove()` deletes the directory.
 * Every key is an ECDSA P-256 key; validity in days (the expired client certificate ended yesterday).
 */
export function makeTestPki() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelcol-pki-'));
  fs.chmodSync(dir, 0o700);
  const key = (name) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  const sign = (name, subject, days, ext) => {
    key(name);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.crt`],
      dir,
    );
  };
  key('ca');
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=otel-xray-datadog test CA',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  sign('server', '/CN=localhost', 2, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  sign('client', '/CN=agent', 2, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  // -days -1: notAfter is a day before notBefore, i.e. expired since yesterday.
  sign('expired-client', '/CN=expired agent', -1, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  const token = crypto.randomBytes(24).toString('hex');
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const file = (name) => path.join(dir, name);
  return {
    dir,
    caFile: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    expiredClientCert: file('expired-client.crt'),
    expiredClientKey: file('expired-client.key'),
    token,
    tokenFile,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
