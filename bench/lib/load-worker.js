'use strict';
// One autocannon process per run, on the load CPU. It starts while the
// server does, waits for the URL, runs a warm-up load, pauses while the
// parent reads the clocks, then runs the measured load and sends its figures.
const autocannon = require('autocannon');

const [connections, warmupSeconds, measureSeconds] = process.argv.slice(2).map(Number);

// autocannon stops at the first sample tick after `duration`; a short tick
// keeps a 1.5 s load from silently lasting 2 s.
const SAMPLE_MS = 250;

function load(url, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1, sampleInt: SAMPLE_MS }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

const nextMessage = () => new Promise((resolve) => process.once('message', resolve));

async function main() {
  const url = await nextMessage();
  if (warmupSeconds > 0) await load(url, warmupSeconds);
  process.send({ type: 'warm' });
  await nextMessage();
  const result = await load(url, measureSeconds);
  const ok = result['2xx'];
  process.send({
    type: 'result',
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  });
  process.disconnect();
}

main().catch((error) => {
  process.send({ type: 'error', message: String(error && error.message) });
  process.disconnect();
});
