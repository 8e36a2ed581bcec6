'use strict';
// The load generator: one autocannon process on the load CPU for a whole
// round, which loads one URL at a time for as long as asked. Its start-up
// overlaps the servers'.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pinned, LOAD_CPU } = require('./cpus');

const WORKER = path.join(__dirname, 'load-session-worker.js');

/**
 * Starts the load generator. `run(url, seconds)` loads `url` with
 * `connections` connections and resolves autocannon's figures; `close()`
 * ends the process.
 */
function startLoadSession({ connections }) {
  const [cmd, args] = pinned(LOAD_CPU, [WORKER, String(connections)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-2000);
  });
  let closing = false;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const pending = new Map();
  let nextId = 0;
  child.on('message', (m) => {
    const waiter = pending.get(m.id);
    if (waiter === undefined) return;
    pending.delete(m.id);
    if (m.type === 'result') waiter.resolve(m);
    else waiter.reject(new Error(`load generator: ${m.message}`));
  });
  exited.then((code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load generator exited with code ${code}: ${stderr}`));
    pending.clear();
  });
  return {
    run(url, seconds) {
      if (closing) return Promise.reject(new Error('load generator closed'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`load generator did not finish a ${seconds} s load in time`));
        }, (seconds + 60) * 1000);
        pending.set(id, {
          resolve: (m) => { clearTimeout(timer); resolve(m); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        child.send({ id, url, seconds });
      });
    },
    close() {
      closing = true;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

module.exports = { startLoadSession };
