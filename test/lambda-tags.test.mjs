// Lambda function tags as trace dimensions (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS=true) with real parts:
// moto (python3 -m moto.server) as the Lambda API, the real @aws-sdk/client-lambda, traced Lambda
// "sandboxes" (test/fixtures/lambda-runtime.mjs with the preload) exporting to a local OTLP
// receiver; a local HTTP server of ours plays a denied, throttled or hanging Lambda API.
// The in-process parts (mapping, precedence, failure modes): test/unit/lambda/function-tags.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import { createRole, startMoto } from '../harness/moto.mjs';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, runNode } from '../harness/processes.mjs';
import { listenOnLoopback } from '../harness/loopback.mjs';

const require = createRequire(import.meta.url);
const { MAX_TAGS_WAIT_MS } = require('../dist/lambda/function-tags.js');

/** The tags the test function carries (the same as the in-process tests'). */
const FUNCTION_TAGS = {
  env: 'staging',
  service: 'orders-api',
  version: '2.3.1',
  team: 'payments',
  'aws:cloudformation:stack-name': 'orders-stack',
};

// ---------------------------------------------------------------------------
// Real parts: moto as the Lambda API, traced Lambda sandboxes, an OTLP receiver
// ---------------------------------------------------------------------------

const FN = 'orders-fn';
let receiver;
let moto;

before(async () => {
  receiver = await startOtlpReceiver();
  moto = await startMoto();
  const roleArn = await createRole(moto.url, 'orders-fn-role');
  const { LambdaClient, CreateFunctionCommand } = require('@aws-sdk/client-lambda');
  const client = new LambdaClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await client.send(
    new CreateFunctionCommand({
      FunctionName: FN,
      Runtime: 'nodejs20.x',
      Role: roleArn,
      Handler: 'index.handler',
      Code: { ZipFile: zipOf('index.js', 'exports.handler = async () => "ok";\n') },
      Tags: FUNCTION_TAGS,
    }),
  );
  client.destroy();
});

after(async () => {
  await receiver?.close();
  await moto?.stop();
});

/** A one-file zip archive (stored, no compression): enough for CreateFunction. */
function zipOf(name, text) {
  const data = Buffer.from(text);
  const fileName = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4); // version needed
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

function crc32(buf) {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const runtime = path.join(fixtures, 'lambda-runtime.mjs');
const ROOT = '5759e988bd862e3fe1be46a994272793';
const traceHeader = (n) => `Root=1-${ROOT.slice(0, 8)}-${ROOT.slice(8, 30)}${String(n).padStart(2, '0')};Parent=53995c3f42cd8ad8;Sampled=1`;

/**
 * One sandbox: the preload, opted in, the SDK pointed at `lambdaApi` through AWS_ENDPOINT_URL_LAMBDA
 * (the SDK's own service-specific endpoint variable). Returns the runtime's per-invocation lines,
 * this run's invocation spans, stderr and the debug lines about tags (console.debug goes to stdout).
 */
/** How long the runtime fixture stands still after each invocation, as a frozen sandbox. */
const FREEZE_MS = 500;

async function runLambda({ lambdaApi, env = {}, invocations = 2 }) {
  const firstSpan = receiver.spans.length;
  const r = await runNode(['--require', registerCjs, runtime], {
    env: cleanEnv({
      AWS_LAMBDA_FUNCTION_NAME: FN,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      // What Lambda gives the execution role; dummy values here.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi,
      // The SDK's notice that its 2027 releases will need Node 22: not ours, and not under test.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LAMBDA_TASK_ROOT: path.join(fixtures, 'lambda', 'cjs'),
      _HANDLER: 'index.handler',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      FREEZE_AFTER_INVOCATION_MS: String(FREEZE_MS),
      OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: 'true',
      INVOCATIONS: JSON.stringify(Array.from({ length: invocations }, (_, i) => ({ event: {}, traceHeader: traceHeader(i) }))),
      ...env,
    }),
    cwd: repoRoot,
  });
  assert.equal(r.code, 0, r.stderr);
  const stdout = r.stdout.split('\n');
  const lines = stdout.filter((l) => l.startsWith('{"requestId"')).map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.ok),
    Array(invocations).fill(true),
    r.stdout,
  );
  const spans = receiver.spans.slice(firstSpan).filter((s) => s.resource['faas.name'] === FN);
  return {
    lines,
    spans,
    stderrLines: r.stderr.split('\n').filter((l) => l.trim() !== ''),
    tagDebugLines: stdout.filter((l) => /function tags/.test(l)),
    ms: r.ms,
  };
}

test('moto: the function tags env/service/version and a custom tag are on every exported span; aws:* tags are not', async () => {
  const { spans, stderrLines, tagDebugLines } = await runLambda({ lambdaApi: moto.url, env: { OTEL_LOG_LEVEL: 'debug' } });
  const invocationSpans = spans.filter((s) => s.scope === 'otel-xray-datadog/aws-lambda');
  assert.equal(invocationSpans.length, 2, 'both invocations exported');
  for (const span of spans) {
    assert.equal(span.resource['service.name'], 'orders-api');
    assert.equal(span.resource['deployment.environment.name'], 'staging');
    assert.equal(span.resource['deployment.environment'], 'staging');
    assert.equal(span.resource['service.version'], '2.3.1');
    assert.equal(span.resource.team, 'payments');
    assert.equal(span.resource['aws:cloudformation:stack-name'], undefined);
    assert.equal(span.resource['cloud.platform'], 'aws_lambda', 'detected attributes are kept');
  }
  // The handler makes no calls: anything else would be our own GetFunction (an AWS SDK or HTTP span).
  assert.deepEqual(
    spans.filter((s) => s.scope !== 'otel-xray-datadog/aws-lambda').map((s) => `${s.scope} ${s.name}`),
    [],
    'our own API call is not traced',
  );
  assert.equal(tagDebugLines.length, 1, tagDebugLines.join('\n'));
  assert.match(tagDebugLines[0], /function tags read: /);
  assert.deepEqual(stderrLines, []);
});

test('moto: DD_ENV and DD_TAGS set explicitly beat the function tags; the defaulted service still comes from the tag', async () => {
  const { spans } = await runLambda({ lambdaApi: moto.url, env: { DD_ENV: 'prod', DD_TAGS: 'team:core' }, invocations: 1 });
  assert.equal(spans.length, 1, 'the one invocation span');
  for (const span of spans) {
    assert.equal(span.resource['deployment.environment.name'], 'prod');
    assert.equal(span.resource['deployment.environment'], 'prod');
    assert.equal(span.resource.team, 'core');
    assert.equal(span.resource['service.name'], 'orders-api');
    assert.equal(span.resource['service.version'], '2.3.1');
  }
});

/**
 * A Lambda API of our own: denies, throttles, never answers, or answers GetFunction with the
 * tags after `delayMs`. Records the requests it saw.
 */
async function startLambdaApiDouble(behaviour, { delayMs = 0 } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    if (behaviour === 'hang') return;
    const answer = () => {
      if (behaviour === 'slow') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'r-1' });
        res.end(JSON.stringify({ Configuration: { FunctionName: FN }, Tags: FUNCTION_TAGS }));
        return;
      }
      const [status, type, message] =
        behaviour === 'deny'
          ? [
              403,
              'AccessDeniedException',
              `User: arn:aws:sts::123456789012:assumed-role/orders-fn-role/orders-fn is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:${FN}`,
            ]
          : [429, 'TooManyRequestsException', 'Rate exceeded'];
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': 'r-1' });
      res.end(JSON.stringify({ Type: 'User', message }));
    };
    setTimeout(answer, delayMs);
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    requests,
    close: listening.close,
  };
}

test('a slow Lambda API, within the bound: the first export waits for the tags, so the first span carries them', async () => {
  // Flush budget 2000 ms -> the tags may take up to 1000 ms from init; this API answers after 300 ms,
  // while the first invocation is over in a few milliseconds.
  const api = await startLambdaApiDouble('slow', { delayMs: 300 });
  try {
    const { spans, lines, stderrLines } = await runLambda({ lambdaApi: api.url, env: { OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS: '2000' } });
    const first = spans.find((s) => s.attributes['faas.invocation_id'] === 'req-1');
    assert.ok(first && first.receivedAt <= lines[0].resolvedAt + FREEZE_MS, 'the first span arrived while the sandbox was frozen: written before its invocation returned');
    assert.equal(first.resource['service.name'], 'orders-api');
    assert.equal(first.resource['deployment.environment.name'], 'staging');
    assert.equal(first.resource.team, 'payments');
    assert.ok(lines[0].tookMs < 1000 + 300, `first invocation took ${lines[0].tookMs} ms`);
    assert.deepEqual(stderrLines, []);
  } finally {
    await api.close();
  }
});

for (const { behaviour, warning } of [
  { behaviour: 'deny', warning: /function tags not read: the execution role may not call lambda:GetFunction on orders-fn \(AccessDeniedException: User: .* is not authorized/ },
  { behaviour: 'throttle' },
  { behaviour: 'hang' },
]) {
  test(`a Lambda API that ${behaviour === 'deny' ? 'denies (403 AccessDeniedException)' : behaviour === 'throttle' ? 'throttles (429 TooManyRequestsException)' : 'never answers'}: spans carry the environment's defaults, the invocation is not held beyond the bound, ${warning ? 'one warning naming the permission' : 'no warning'}`, async () => {
    const api = await startLambdaApiDouble(behaviour);
    try {
      const { spans, lines, stderrLines } = await runLambda({ lambdaApi: api.url });
      assert.deepEqual(api.requests, [`GET /2015-03-31/functions/${FN}`], 'one GetFunction call, no retry');
      const invocationSpans = spans.filter((s) => s.scope === 'otel-xray-datadog/aws-lambda');
      assert.equal(invocationSpans.length, 2, 'both invocations exported');
      for (const span of spans) {
        assert.equal(span.resource['service.name'], FN);
        assert.equal(span.resource['deployment.environment.name'], 'none');
        assert.equal(span.resource['service.version'], undefined);
        assert.equal(span.resource.team, undefined);
      }
      // Each span reached the receiver before its invocation returned (flush before freeze still works).
      for (const [i, line] of lines.entries()) {
        const span = invocationSpans.find((s) => s.attributes['faas.invocation_id'] === line.requestId);
        assert.ok(span && span.receivedAt <= line.resolvedAt + FREEZE_MS, `invocation ${i + 1}: written before it returned`);
      }
      // Default flush budget 1000 ms -> the tags wait at most 500 ms from init; the first invocation
      // (its flush waits for the resource) must not take longer than that plus the export itself.
      const bound = Math.min(MAX_TAGS_WAIT_MS, 1000 / 2);
      assert.ok(lines[0].tookMs < bound + 300, `first invocation took ${lines[0].tookMs} ms (bound ${bound} ms)`);
      assert.ok(lines[1].tookMs < 300, `second invocation took ${lines[1].tookMs} ms`);
      assert.ok(stderrLines.length <= 1, `at most one line: ${stderrLines.join('\n')}`);
      if (warning) {
        assert.equal(stderrLines.length, 1);
        assert.match(stderrLines[0], warning);
      } else {
        assert.deepEqual(stderrLines, []);
      }
    } finally {
      await api.close();
    }
  });
}

test('throttled, with OTEL_LOG_LEVEL=debug: exactly one debug line says why the tags were not used', async () => {
  const api = await startLambdaApiDouble('throttle');
  try {
    const { tagDebugLines, stderrLines } = await runLambda({ lambdaApi: api.url, env: { OTEL_LOG_LEVEL: 'debug' }, invocations: 1 });
    assert.equal(tagDebugLines.length, 1, tagDebugLines.join('\n'));
    assert.match(tagDebugLines[0], /function tags not read \(TooManyRequestsException: Rate exceeded\); using env\/service\/version from the environment/);
    assert.deepEqual(
      stderrLines.filter((l) => /function tags/.test(l)),
      [],
    );
  } finally {
    await api.close();
  }
});
