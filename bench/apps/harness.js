'use strict';
// What every bench app shares: it tells the bench its port once it listens
// (with the time since the process started and its peak RSS, for the
// start-up figures) and answers CPU questions over the IPC channel, so the
// measurement adds no route, no request and no span to the app.
const { performance } = require('node:perf_hooks');

function ready(server) {
  const { port } = server.address();
  const report = {
    type: 'listening',
    port,
    // Milliseconds since the process began (before any preload ran).
    sinceStartMs: performance.now(),
    maxRssKb: process.resourceUsage().maxRSS,
  };
  if (process.send) process.send(report);
  else console.log(`listening on http://127.0.0.1:${port}`);
}

if (process.send) {
  process.on('message', (message) => {
    if (message === 'cpu') {
      const cpu = process.cpuUsage();
      process.send({ type: 'cpu', userUs: cpu.user, systemUs: cpu.system, maxRssKb: process.resourceUsage().maxRSS });
    } else if (message === 'exit') {
      // A normal exit, so `node --cpu-prof` writes its profile (profile.js).
      process.exit(0);
    }
  });
  // The IPC channel must never keep an app alive that would otherwise exit.
  process.channel.unref();
}

module.exports = { ready };
