// until polls the API (not the page) for a condition the server reaches on its
// own. fn returns [done, value, last answer (shown on a timeout)]; the deadline
// only ends a wait that failed.
export async function until(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const [done, v, last] = await fn();
    if (done) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last answer: ${JSON.stringify(last)}`);
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
}
