// Runs a Lambda handler under AWS's real runtime interface client (npm aws-lambda-ric)
// on a chosen Node major, against our Runtime API server (runtime-api.mjs): the process
// is started the way the managed nodejs runtimes' bootstrap starts theirs.
//
//   aws-lambda-ric 3.x ~ nodejs20.x / nodejs22.x: CJS via require, ESM via import(),
//                        callback handlers, 'beforeExit' completion; handler from argv[2],
//                        task root = cwd.
//   aws-lambda-ric 4.x ~ nodejs24.x: every handler via import(); 3-argument handlers fail
//                        Init (Runtime.CallbackHandlerDeprecated); handler from _HANDLER,
//                        task root from LAMBDA_TASK_ROOT; AWS_LAMBDA_MAX_CONCURRENCY
//                        switches on the multi-concurrent (Managed Instances) mode.
//
// Binaries come from scripts/install-node.sh and scripts/build-ric.sh (cached outside the
// repository; the first build of a combination takes 1-2 minutes).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './processes.mjs';
import { startRuntimeApi } from './runtime-api.mjs';
import { waitUntil } from './wait.mjs';
import { bootstrapNodeArgs } from '../scripts/lib/lambda-bootstrap.mjs';

const machineNodeMajor = Number(process.versions.node.split('.')[0]);
const prepared = new Map();

/** The runtime client major the managed runtime of this Node major behaves like. */
export function defaultRicMajor(nodeMajor) {
  return nodeMajor >= 24 ? 4 : 3;
}

function runScript(script, args) {
  try {
    const out = execFileSync('bash', [path.join(repoRoot, 'scripts', script), ...args.map(String)], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return out.trim().split('\n').at(-1);
  } catch (err) {
    throw new Error(`scripts/${script} ${args.join(' ')} failed (${err.status ?? err.signal}):\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

/**
 * Installs/builds (or finds cached) the Node binary and aws-lambda-ric for a combination.
 * Returns { nodeMajor, ricMajor, node, nodeVersion, ricDir (contains node_modules/aws-lambda-ric),
 *           ricPackage, ricVersion, ricEntry (the package's bin script) }. Memoised per process.
 */
export function prepareRuntime(nodeMajor = machineNodeMajor, ricMajor = defaultRicMajor(nodeMajor)) {
  const key = `${nodeMajor}/${ricMajor}`;
  if (!prepared.has(key)) {
    const node = runScript('install-node.sh', [nodeMajor]);
    const ricDir = runScript('build-ric.sh', [nodeMajor, ricMajor]);
    const ricPackage = path.join(ricDir, 'node_modules', 'aws-lambda-ric');
    const pkg = JSON.parse(fs.readFileSync(path.join(ricPackage, 'package.json'), 'utf8'));
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['aws-lambda-ric'];
    const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    prepared.set(key, {
      nodeMajor,
      ricMajor,
      node,
      nodeVersion,
      ricDir,
      ricPackage,
      ricVersion: pkg.version,
      ricEntry: path.join(ricPackage, bin),
    });
  }
  return prepared.get(key);
}

// Sandboxes still running when the test process exits are killed with it.
const live = new Set();
process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal); // the wrapper and whatever it started
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export { bootstrapNodeArgs } from '../scripts/lib/lambda-bootstrap.mjs';

/**
 * Starts a runtime process for `handler` ("module.export", relative to taskRoot).
 * Options:
 *   nodeMajor     20 | 22 | 24 (default: this process's Node major)
 *   ricMajor      3 | 4 (default: 4 for Node >= 24, else 3, like the managed runtimes)
 *   taskRoot      the function's code directory (LAMBDA_TASK_ROOT and the process's cwd)
 *   handler       _HANDLER, also passed as argv like `npx aws-lambda-ric index.handler`
 *   env           added to / overriding the environment (a value of undefined removes a key)
 *   execWrapper   AWS_LAMBDA_EXEC_WRAPPER: run `wrapper <node> <node args> <ric entry> <handler>`
 *   opt           a directory standing in for /opt: NODE_PATH as the bootstrap builds it
 *                 (<opt>/nodejs/node<N>/node_modules:<opt>/nodejs/node_modules:<ric>/node_modules:<taskRoot>)
 *   nodeArgs      Node options before the entry script (default: bootstrapNodeArgs)
 *   maxConcurrency  RIC 4.x multi-concurrent mode (Lambda Managed Instances): sets
 *                 AWS_LAMBDA_MAX_CONCURRENCY (only its presence matters to the client) and
 *                 AWS_LAMBDA_NODEJS_WORKER_COUNT to `workers` (default 2; the client's own
 *                 default is 8 x CPUs). Each worker thread keeps one native long-poll parked
 *                 in a libuv threadpool thread, so with workers >= UV_THREADPOOL_SIZE (4)
 *                 handlers' fs/dns.lookup/zlib/crypto work hangs; raise UV_THREADPOOL_SIZE
 *                 through env to go beyond 3 workers.
 *   functionName, functionVersion ('$LATEST'), memorySize (128), region ('us-east-1')
 * The environment is otherwise clean: only PATH (the chosen node's directory first) and
 * HOME are inherited; no OTEL_/DD_/AWS_/NODE_OPTIONS from the test process.
 * Returns { runtime, invoke, stop, output, waitForOutput, exited, child, pid, env, argv, ...prepared }.
 */
export async function startSandbox({
  nodeMajor = machineNodeMajor,
  ricMajor = defaultRicMajor(nodeMajor),
  taskRoot,
  handler,
  env = {},
  execWrapper,
  opt,
  nodeArgs,
  functionName = 'ric-test',
  functionVersion = '$LATEST',
  memorySize = 128,
  region = 'us-east-1',
  maxConcurrency,
  workers = 2,
} = {}) {
  if (!taskRoot || !handler) throw new Error('startSandbox needs taskRoot and handler');
  const runtimeInfo = prepareRuntime(nodeMajor, ricMajor);
  const runtime = await startRuntimeApi({
    functionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
  });

  const lambdaEnv = {
    PATH: `${path.dirname(runtimeInfo.node)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: runtime.url,
    _HANDLER: handler,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: runtimeInfo.ricPackage,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${nodeMajor}.x`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: functionVersion,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    // RIC 4.x refuses every invocation (PlatformError) when these two are missing.
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
  };
  if (opt) {
    lambdaEnv.NODE_PATH = [
      path.join(opt, 'nodejs', `node${nodeMajor}`, 'node_modules'),
      path.join(opt, 'nodejs', 'node_modules'),
      path.join(runtimeInfo.ricPackage, 'node_modules'),
      taskRoot,
    ].join(':');
  }
  if (execWrapper) lambdaEnv.AWS_LAMBDA_EXEC_WRAPPER = execWrapper;
  if (maxConcurrency != null) {
    lambdaEnv.AWS_LAMBDA_MAX_CONCURRENCY = String(maxConcurrency);
    lambdaEnv.AWS_LAMBDA_NODEJS_WORKER_COUNT = String(workers);
  }
  const childEnv = { ...lambdaEnv, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined || v === null) delete childEnv[k];

  const args = [...(nodeArgs ?? bootstrapNodeArgs(memorySize, childEnv.NODE_OPTIONS)), runtimeInfo.ricEntry, handler];
  const argv = execWrapper ? [execWrapper, runtimeInfo.node, ...args] : [runtimeInfo.node, ...args];
  const child = spawn(argv[0], argv.slice(1), { cwd: taskRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => {
    child.on('error', (err) => {
      stderr += `\n[sandbox] spawn failed: ${err.message}\n`;
    });
    child.on('close', (code, signal) => {
      live.delete(child);
      // Invocations the process can no longer answer fail instead of hanging the test.
      runtime.terminate('exited', { exitCode: code, signal });
      resolve({ code, signal });
    });
  });

  const output = () => ({ stdout, stderr });
  return {
    ...runtimeInfo,
    runtime,
    /** runtime.invoke: resolves with the runtime's answer (see runtime-api.mjs). */
    invoke: (inv) => runtime.invoke(inv),
    /** { stdout, stderr } captured so far. */
    output,
    /** Resolves once stdout+stderr match re. */
    waitForOutput(re, timeoutMs = 10_000) {
      return waitUntil(() => `${stdout}\n${stderr}`.match(re), {
        timeoutMs,
        what: `output matching ${re}`,
        seen: () => `stdout: ${stdout}\nstderr: ${stderr}`,
      });
    },
    /** Resolves with { code, signal } when the process exits. */
    exited,
    child,
    pid: child.pid,
    env: childEnv,
    argv,
    /** Kills the process group (SIGKILL by default, like a sandbox being torn down), closes the API. */
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, signal);
      const result = await exited;
      await runtime.close();
      return result;
    },
  };
}

/**
 * The runtime combinations the Lambda tests run: [nodeMajor, ricMajor] for nodejs20.x, nodejs22.x,
 * nodejs22.x Managed Instances and nodejs24.x. OTEL_XRAY_DD_RIC_COMBOS="20/3,24/4" restricts them.
 */
export function ricCombos() {
  const all = [
    [20, 3],
    [22, 3],
    [22, 4],
    [24, 4],
  ];
  const only = process.env.OTEL_XRAY_DD_RIC_COMBOS?.split(',').map((s) => s.trim());
  return only ? all.filter(([n, r]) => only.includes(`${n}/${r}`)) : all;
}

/** Builds the layer zip and unpacks it into a fresh directory standing in for /opt; returns its path. */
export function unpackLayer() {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-layer.mjs')], { stdio: 'ignore' });
  const opt = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-opt-'));
  execFileSync('unzip', ['-q', path.join(repoRoot, 'build', 'otel-xray-datadog-layer.zip'), '-d', opt]);
  return opt;
}
