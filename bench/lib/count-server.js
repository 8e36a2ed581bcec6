'use strict';
// The plumbing the two sinks share (the OTLP receiver and the dummy Datadog
// agent): an HTTP server on 127.0.0.1 (ephemeral port) that reads each request
// body whole, hands it to the sink's own counting, and exposes the counters.
const http = require('node:http');

/**
 * @param counts the sink's counters (all numbers); reset() zeroes each of them
 * @param onBody (req, body, res) => void: counts what body holds and answers
 */
function startCountingServer(counts, onBody) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      counts.requests++;
      onBody(req, Buffer.concat(chunks), res);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts,
        reset() {
          for (const key of Object.keys(counts)) counts[key] = 0;
        },
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

module.exports = { startCountingServer };
