'use strict';
// The fake collector: OTLP/HTTP on one port of 127.0.0.1 that plays one fault
// at a time — up, down (nothing listens: connections are refused), hang
// (accepts and reads, never answers), slow (answers after SLOW_MS), 429 and
// 503 with Retry-After, flap (up and down by turns), close (cuts the
// connection in the middle of its answer). It counts what reached it per
// phase: requests, spans accepted (answered 200), the most connections open at
// once.
const http = require('node:http');
const { countOtlpSpans } = require('../bench/lib/receiver');

const SLOW_MS = 3000;
// One within the exporter's 10 s budget (the batch itself waits and is retried), one beyond
// it (the batch fails at once; the later ones must wait all the same).
const RETRY_AFTER_SECONDS = { 429: 5, 503: 12 };
const FLAP_MS = 2000;

const MODES = ['up', 'down', 'hang', 'slow', '429', '503', 'flap', 'close'];

function zeroCounts() {
  return { requests: 0, spans: 0, badBodies: 0, peakConnections: 0 };
}

/** Starts on an ephemeral port, up; `setMode(mode)` changes the fault, `take()` returns and resets the counts. */
async function startCollector() {
  let mode = 'up';
  let counts = zeroCounts();
  let flapTimer;
  let flapUp = true;
  const sockets = new Set();

  const answer = (res, body) => {
    const effective = mode === 'flap' ? 'up' : mode;
    switch (effective) {
      case 'up':
        try {
          counts.spans += countOtlpSpans(body);
        } catch {
          counts.badBodies++;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
        res.end();
        return;
      case 'hang':
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          if (mode !== 'slow' || res.destroyed) return;
          counts.spans += countOtlpSpans(body);
          res.writeHead(200, { 'content-length': 0 });
          res.end();
        }, SLOW_MS);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '429':
      case '503':
        res.writeHead(Number(effective), { 'retry-after': String(RETRY_AFTER_SECONDS[effective]), 'content-type': 'text/plain' });
        res.end(effective === '429' ? 'too many requests' : 'unavailable');
        return;
      case 'close':
        // A status line and half a body, then the connection is gone.
        res.socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\npartial');
        res.socket.destroy();
        return;
      default:
        throw new Error(`unknown collector mode ${effective}`);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      counts.requests++;
      answer(res, Buffer.concat(chunks));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    counts.peakConnections = Math.max(counts.peakConnections, sockets.size);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  const listen = () =>
    server.listening ? Promise.resolve() : new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  // Like a collector going away: the port refuses, open connections are cut.
  const stop = () => {
    dropConnections();
    return server.listening ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get mode() {
      return mode;
    },
    async setMode(next) {
      if (!MODES.includes(next)) throw new Error(`unknown collector mode ${next}`);
      clearInterval(flapTimer);
      flapTimer = undefined;
      // Answers held back by a fault end with it (a collector that restarts).
      if (mode === 'hang' || mode === 'slow') dropConnections();
      mode = next;
      if (next === 'down') return stop();
      await listen();
      if (next === 'flap') {
        flapUp = true;
        flapTimer = setInterval(() => {
          flapUp = !flapUp;
          void (flapUp ? listen() : stop());
        }, FLAP_MS);
      }
    },
    take() {
      const taken = counts;
      counts = zeroCounts();
      counts.peakConnections = sockets.size;
      return taken;
    },
    async close() {
      clearInterval(flapTimer);
      await stop();
    },
  };
}

module.exports = { startCollector, SLOW_MS, RETRY_AFTER_SECONDS, FLAP_MS };
