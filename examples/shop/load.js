// A few checkouts so traces appear at once: normal ones, one slow, one failing.
// `node load.js http://127.0.0.1:<gateway port> [requests]` drives a running shop.
const CHECKOUTS = [
  { sku: 'book', what: 'normal' },
  { sku: 'pen', what: 'normal' },
  { sku: 'slow-lamp', what: 'slow: a slow warehouse query' },
  { sku: 'broken', what: 'fails: a SQL error in the catalog' },
];

/** Sends `requests` checkouts one after another; `after(result)` runs after each. */
async function driveLoad(gatewayUrl, { requests = CHECKOUTS.length, log = console.log, after = async () => {} } = {}) {
  const results = [];
  for (let i = 0; i < requests; i++) {
    const { sku, what } = CHECKOUTS[i % CHECKOUTS.length];
    const started = performance.now();
    const res = await fetch(`${gatewayUrl}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer token-alice' },
      body: JSON.stringify({ sku, quantity: 1 }),
    });
    const body = await res.json();
    const result = { sku, what, status: res.status, body, ms: performance.now() - started, traceId: res.headers.get('x-trace-id') || '' };
    const outcome = res.ok ? `order ${body.orderId}` : body.error;
    log(`POST /checkout ${sku.padEnd(9)} → ${res.status} ${outcome}  (${result.ms.toFixed(0)} ms, ${what}; trace ${result.traceId})`);
    results.push(result);
    await after(result);
  }
  return results;
}

if (require.main === module) {
  driveLoad(process.argv[2] || 'http://127.0.0.1:8080', { requests: Number(process.argv[3] || CHECKOUTS.length) }).catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}

module.exports = { driveLoad, CHECKOUTS };
