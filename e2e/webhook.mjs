// A tiny HTTP receiver for the notification channels of the e2e server: POSTs
// to /hook are accepted (204), POSTs to /refuse are refused with 400 (which the
// dispatcher does not retry). Every request is kept, and waiters are woken as
// requests arrive, so a step can wait for one without polling or sleeping.
import http from 'node:http';

export async function startReceiver() {
  const requests = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(body); } catch (_) { json = null; }
      const entry = { method: req.method, path: req.url, headers: req.headers, body, json };
      requests.push(entry);
      for (const w of waiters.splice(0)) {
        if (w.match(entry)) w.resolve(entry);
        else waiters.push(w);
      }
      res.statusCode = req.url === '/refuse' ? 400 : 204;
      res.end(req.url === '/refuse' ? 'refused by the e2e receiver' : undefined);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    requests,
    // waitFor resolves with the first request, past or future, that match accepts.
    waitFor(match, timeoutMs) {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the webhook receiver got no matching request')), timeoutMs);
        waiters.push({ match, resolve: (v) => { clearTimeout(timer); resolve(v); } });
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
