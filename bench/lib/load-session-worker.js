'use strict';
// The load generator's process, on the load CPU: autocannon, one load at a
// time, as the parent asks: { id, url, seconds } → { type: 'result', id, … }.
const autocannon = require('autocannon');

const connections = Number(process.argv[2]);

// autocannon stops at the first sample tick after `duration`; a short tick
// keeps a 1 s load from silently lasting 1.25 s.
const SAMPLE_MS = 100;

function load(url, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1, sampleInt: SAMPLE_MS }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

process.on('message', async ({ id, url, seconds }) => {
  try {
    const result = await load(url, seconds);
    const ok = result['2xx'];
    process.send({
      type: 'result',
      id,
      ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds: result.duration,
      rps: ok / result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
    });
  } catch (error) {
    process.send({ type: 'error', id, message: String(error && error.message) });
  }
});
