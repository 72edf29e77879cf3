// dd-trace (5 or 6) on the other side of an SQS / SNS / EventBridge / Kinesis hop: runs
// test/fixtures/dd-trace-messaging.cjs under `--require <module>/init` on the Node that major
// needs (dd-trace 6: Node >= 22), talking to moto and to the agent double.
import path from 'node:path';
import { ddTraceEnv, nodeForDdTrace } from './datadog-agent.mjs';
import { credentials, region } from './moto.mjs';
import { cleanEnv, fixtures, runNode } from './processes.mjs';

export const DD_TRACE_MODULES = { 5: 'dd-trace', 6: 'dd-trace-6' };

/**
 * One dd-trace process: `calls` (AWS SDK v3, through dd-trace's aws-sdk instrumentation) against
 * `endpoint`, then `extract` (carriers) through `tracer.extract('text_map', …)`.
 * Resolves { calls: [{ ok, output }], extracted: [{ traceId, spanId, samplingPriority } | null] }.
 */
export async function runDdTrace({ major, agentUrl, endpoint, service, calls = [], extract = [], env = {} }) {
  const module = DD_TRACE_MODULES[major];
  const r = await runNode(['--require', `${module}/init`, path.join(fixtures, 'dd-trace-messaging.cjs')], {
    node: nodeForDdTrace(module),
    timeoutMs: 30_000,
    env: cleanEnv(
      ddTraceEnv(agentUrl, {
        DD_TRACE_MODULE: module,
        DD_SERVICE: service,
        DD_ENV: 'prod',
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_ENDPOINT_URL: endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        CALLS: JSON.stringify(calls),
        EXTRACT: JSON.stringify(extract),
        ...env,
      }),
    ),
  });
  if (r.code !== 0) throw new Error(`dd-trace ${major} process failed (${r.code}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  for (const [i, result] of out.calls.entries()) {
    if (!result.ok) throw new Error(`dd-trace ${major} call ${i} (${calls[i].client}.${calls[i].command}) failed: ${result.error}\n${r.stderr}`);
  }
  return { ...out, stderr: r.stderr };
}
