'use strict';
// The load generator: autocannon in a child process on the load CPU,
// started early so its own start-up overlaps the server's.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pinned, LOAD_CPU } = require('./cpus');

const WORKER = path.join(__dirname, 'load-worker.js');

/**
 * Starts the load generator. `run(url, beforeMeasure)` warms `url` up, awaits
 * `beforeMeasure()` (the caller reads its clocks), measures, and resolves
 * autocannon's figures for the measured part; `cancel()` ends it unused.
 */
function startLoad({ connections, warmupSeconds, measureSeconds }) {
  const [cmd, args] = pinned(LOAD_CPU, [WORKER, String(connections), String(warmupSeconds), String(measureSeconds)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-2000);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    run(url, beforeMeasure) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(new Error('load generator did not finish in time')), (warmupSeconds + measureSeconds + 60) * 1000);
        const fail = (error) => {
          clearTimeout(timer);
          child.kill('SIGKILL');
          reject(error);
        };
        child.on('message', (m) => {
          if (m.type === 'warm') beforeMeasure().then(() => child.send('go'), fail);
          else if (m.type === 'result') {
            clearTimeout(timer);
            resolve(m);
          } else if (m.type === 'error') fail(new Error(`load generator: ${m.message}`));
        });
        exited.then((code) => {
          if (code) fail(new Error(`load generator exited with code ${code}: ${stderr}`));
        });
        child.send(url);
      });
    },
    cancel() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

module.exports = { startLoad };
