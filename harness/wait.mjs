// One polling wait for every local double: resolves with check()'s first truthy value;
// a check that throws counts as "not yet". Rejects after timeoutMs, saying what was seen.
export async function waitUntil(check, { timeoutMs, what, seen = () => '' }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value;
    try {
      value = check();
    } catch {
      value = undefined;
    }
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${seen()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
