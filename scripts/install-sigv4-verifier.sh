#!/usr/bin/env bash
# Installs what the X-Ray endpoint double (harness/xray-endpoint.mjs) uses
# to check SigV4 signatures: botocore, AWS's own Python signer, from PyPI, only
# when it cannot be imported (moto, which the messaging tests install, brings
# it too). Idempotent: with botocore importable it runs one python3 import.
set -euo pipefail

if python3 -c 'import botocore.auth, botocore.awsrequest, botocore.credentials' 2>/dev/null; then
  echo "install-sigv4-verifier: botocore already installed" >&2
  exit 0
fi
echo "install-sigv4-verifier: installing botocore" >&2
python3 -m pip install --quiet --disable-pip-version-check 'botocore>=1.34,<2'
