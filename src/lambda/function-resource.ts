/**
 * The resource attributes of a Lambda function's process, read from the
 * environment the runtime sets: what the OpenTelemetry Lambda, host and
 * process detectors give (minus what resource.ts leaves out), without loading
 * them. Loading the detector packages cost ~5 ms of every cold start
 * (measured in-process on Node 24): the AWS package's index brings its
 * EC2/ECS/EKS detectors and with them node:https and node:tls, and the host
 * detector reads the machine id, which resource.ts then drops. Checked
 * against the packages' own detectors by test/unit/lambda/function-resource.test.mjs.
 */
import { arch, hostname, userInfo } from 'node:os';

type Env = Readonly<Record<string, string | undefined>>;
type Attributes = Record<string, string | number | string[]>;

// The host detector's names for Node's os.arch() values (the OpenTelemetry host.arch values).
const ARCH: Readonly<Record<string, string>> = { arm: 'arm32', ppc: 'ppc32', x64: 'amd64' };

/** cloud.*, faas.*, aws.log.group.names: only where the runtime says it is Lambda (AWS_EXECUTION_ENV), as the Lambda detector does. */
function functionAttributes(env: Env): Attributes {
  if (!env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda_')) return {};
  const attributes: Attributes = { 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda' };
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) attributes[key] = value;
  };
  set('cloud.region', env.AWS_REGION);
  set('faas.name', env.AWS_LAMBDA_FUNCTION_NAME);
  set('faas.version', env.AWS_LAMBDA_FUNCTION_VERSION);
  // A missing or malformed size is left out (the detector's NaN would make the collector refuse the batch).
  const memoryMb = Number.parseInt(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '', 10);
  if (Number.isFinite(memoryMb)) attributes['faas.max_memory'] = memoryMb * 1024 * 1024;
  if (env.AWS_LAMBDA_LOG_GROUP_NAME) attributes['aws.log.group.names'] = [env.AWS_LAMBDA_LOG_GROUP_NAME];
  if (env.AWS_LAMBDA_LOG_STREAM_NAME) attributes['faas.instance'] = env.AWS_LAMBDA_LOG_STREAM_NAME;
  return attributes;
}

/** host.name and host.arch (host.id is left out, see resource.ts); process.* without the command line, which often carries credentials. */
function processAttributes(): Attributes {
  const attributes: Attributes = {
    'host.name': hostname(),
    'host.arch': ARCH[arch()] ?? arch(),
    'process.pid': process.pid,
    'process.executable.name': process.title,
    'process.executable.path': process.execPath,
    'process.runtime.version': process.versions.node,
    'process.runtime.name': 'nodejs',
    'process.runtime.description': 'Node.js',
  };
  if (process.argv[1] !== undefined) attributes['process.command'] = process.argv[1];
  try {
    attributes['process.owner'] = userInfo().username;
  } catch {
    // No user entry for the uid: the detector leaves it out too.
  }
  return attributes;
}

export function functionResourceAttributes(env: Env): Attributes {
  return { ...processAttributes(), ...functionAttributes(env) };
}
