/**
 * The resource every span carries: Datadog's unified tags (as the OpenTelemetry
 * attributes the collector's datadog exporter maps to env/service/version),
 * plus host, process and AWS attributes. AWS detectors that call a metadata
 * endpoint run only where they apply, and all detection is asynchronous, so
 * start-up never waits on the network. In Lambda they are read from the
 * environment instead (lambda/function-resource.ts). Inside Lambda, the function's own tags
 * can join it later (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS, src/function-tags.ts).
 */
import { defaultResource, detectResources, hostDetector, processDetector, resourceFromAttributes, type Resource, type ResourceDetector } from '@opentelemetry/resources';
import type { ResolvedConfig } from '../config/resolved-config';
import { withFunctionTags } from '../lambda/function-tags';
import { functionResourceAttributes } from '../lambda/function-resource';
import { DISTRIBUTION_NAME, DISTRIBUTION_VERSION } from '../version';

type Env = Readonly<Record<string, string | undefined>>;

export function createResource(config: ResolvedConfig, env: Env = process.env): Resource {
  // In Lambda, every detected attribute is in the environment: read there, without the detector packages.
  const detected = config.lambda.functionName !== undefined ? resourceFromAttributes(functionResourceAttributes(env)) : detectResources({ detectors: hostDetectors(config, env) });
  const attributes: Record<string, string> = {
    ...config.extraResourceAttributes,
    'service.name': config.service,
    'deployment.environment.name': config.env,
    // Older collector exporters read only the pre-1.27 key.
    'deployment.environment': config.env,
    'telemetry.distro.name': DISTRIBUTION_NAME,
    'telemetry.distro.version': DISTRIBUTION_VERSION,
  };
  if (config.version !== undefined) attributes['service.version'] = config.version;
  const resource = defaultResource().merge(detected).merge(resourceFromAttributes(attributes));
  // Opt-in: the function's tags join the resource when they arrive (bounded, never awaited here).
  return config.lambda.fetchTags ? withFunctionTags(resource, config) : resource;
}

function hostDetectors(config: ResolvedConfig, env: Env): ResourceDetector[] {
  // host.id (the machine id) would become the Datadog hostname ahead of
  // host.name, splitting the host from what the Datadog Agent reports.
  const detectors: ResourceDetector[] = [
    without(hostDetector, ['host.id']),
    // Command-line arguments often carry credentials.
    without(processDetector, ['process.command_args', 'process.command_line']),
  ];
  /* eslint-disable @typescript-eslint/no-require-imports -- each AWS detector is loaded only where it applies */
  if (env.ECS_CONTAINER_METADATA_URI_V4 || env.ECS_CONTAINER_METADATA_URI) {
    detectors.push(without(require('@opentelemetry/resource-detector-aws').awsEcsDetector as ResourceDetector));
  }
  // The EC2 detector probes the instance metadata endpoint, which costs a
  // timeout off EC2 and is unwelcome in locked-down networks: opt-in only.
  if (config.ec2Detector) {
    detectors.push(without(require('@opentelemetry/resource-detector-aws').awsEc2Detector as ResourceDetector));
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return detectors;
}

/**
 * A detector minus the given keys and minus non-finite numbers: the Lambda
 * detector turns a missing AWS_LAMBDA_FUNCTION_MEMORY_SIZE into NaN, which
 * serialises as null and makes the collector reject every batch (HTTP 400).
 */
function without(detector: ResourceDetector, keys: string[] = []): ResourceDetector {
  return {
    detect(detectionConfig) {
      const attributes = { ...detector.detect(detectionConfig).attributes };
      for (const key of keys) delete attributes[key];
      for (const [key, value] of Object.entries(attributes)) {
        if (typeof value === 'number' && !Number.isFinite(value)) delete attributes[key];
      }
      return { attributes };
    },
  };
}
