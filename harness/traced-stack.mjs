import { startCollector } from './collector.mjs';
import { startDatadogIntake } from './datadog-intake.mjs';

/**
 * The road a traced app's spans take to Datadog in the end-to-end tests: the
 * real collector in front of the Datadog intake double, and beside them the
 * real servers the test file names ({ name: start() }), all started together.
 * If any of them fails to start, what did start is stopped before the error
 * is thrown, so that a failed before() leaves no process behind.
 */
export async function startTracedStack(serverStarters = {}) {
  const intake = await startDatadogIntake();
  const names = Object.keys(serverStarters);
  const results = await Promise.allSettled([startCollector({ intakeUrl: intake.url }), ...names.map((name) => serverStarters[name]())]);
  const started = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const stop = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
    await intake.close();
  };
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [collector, ...servers] = started;
  return { intake, collector, servers: Object.fromEntries(names.map((name, i) => [name, servers[i]])), stop };
}
