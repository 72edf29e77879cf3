"""Checks AWS Signature Version 4 on requests, with botocore (AWS's own Python signer).

Used by harness/xray-endpoint.mjs. Reads one JSON request per line on stdin:
  {"id", "method", "url", "headers": {lower-case name: value}, "body": base64}
and answers one JSON line on stdout: {"id", "ok", "reason", "service", "region", "access_key"}.
The expected credentials come from the environment (SIGV4_ACCESS_KEY_ID,
SIGV4_SECRET_ACCESS_KEY, optional SIGV4_SESSION_TOKEN) and the expected
scope from SIGV4_SERVICE / SIGV4_REGION. The signature is recomputed with
botocore over exactly the headers the client says it signed, the request's own
X-Amz-Date, and the SHA-256 of the body as received.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH = re.compile(
    r'^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,\s*'
    r'SignedHeaders=(?P<signed>[a-z0-9;_.-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$'
)
MAX_SKEW = datetime.timedelta(minutes=15)


def verify(request, credentials, service, region):
    headers = request['headers']
    body = base64.b64decode(request['body'])
    match = AUTH.match(headers.get('authorization', ''))
    if not match:
        return False, 'no SigV4 Authorization header'
    if match['key'] != credentials.access_key:
        return False, 'unknown access key'
    if match['service'] != service or match['region'] != region:
        return False, f"scope is {match['region']}/{match['service']}, expected {region}/{service}"
    amz_date = headers.get('x-amz-date', '')
    try:
        when = datetime.datetime.strptime(amz_date, '%Y%m%dT%H%M%SZ').replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return False, 'no valid X-Amz-Date'
    if amz_date[:8] != match['date']:
        return False, 'X-Amz-Date does not match the credential scope date'
    if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_SKEW:
        return False, 'X-Amz-Date more than 15 minutes away'
    signed = match['signed'].split(';')
    for required in ('host', 'x-amz-date'):
        if required not in signed:
            return False, f'{required} is not signed'
    if credentials.token and ('x-amz-security-token' not in signed or headers.get('x-amz-security-token') != credentials.token):
        return False, 'session token missing or not signed'
    declared = headers.get('x-amz-content-sha256')
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        return False, 'X-Amz-Content-Sha256 does not match the body'
    missing = [h for h in signed if h not in headers]
    if missing:
        return False, f'signed headers absent: {missing}'
    aws_request = AWSRequest(method=request['method'], url=request['url'], data=body, headers={h: headers[h] for h in signed})
    aws_request.context['timestamp'] = amz_date
    signer = SigV4Auth(credentials, service, region)
    canonical = signer.canonical_request(aws_request)
    if signer.signed_headers(signer.headers_to_sign(aws_request)) != match['signed']:
        return False, 'signed header list differs from what botocore signs'
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, match['sig']):
        return False, 'signature does not match'
    return True, 'ok'


def main():
    credentials = Credentials(os.environ['SIGV4_ACCESS_KEY_ID'], os.environ['SIGV4_SECRET_ACCESS_KEY'], os.environ.get('SIGV4_SESSION_TOKEN') or None)
    service = os.environ['SIGV4_SERVICE']
    region = os.environ['SIGV4_REGION']
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            ok, reason = verify(request, credentials, service, region)
        except Exception as error:  # an unreadable request is a refused one
            ok, reason = False, f'{type(error).__name__}: {error}'
        print(json.dumps({'id': request['id'], 'ok': ok, 'reason': reason}), flush=True)


if __name__ == '__main__':
    main()
