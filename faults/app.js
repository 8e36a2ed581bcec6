'use strict';
// The traced app under load (started with -r @tracewire/register): the bench's
// Express hello (bench/apps/express-hello.js), which also answers the fault
// run's questions over IPC: tracing's counters and the CPU time the app has used.
const { currentSdk } = require('@tracewire/core');

process.on('message', (message) => {
  if (message !== 'stats') return;
  const sdk = currentSdk();
  const cpu = process.cpuUsage();
  process.send({ type: 'stats', stats: sdk ? sdk.stats() : undefined, cpuMicros: cpu.user + cpu.system });
});

require('../bench/apps/express-hello');
