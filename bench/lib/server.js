'use strict';
// Starts a scenario's app processes under one variant, pinned to the server
// CPU, and talks to them over IPC: their port once they listen, and their
// own CPU time (process.cpuUsage) when asked.
const { spawn } = require('node:child_process');
const { pinned, SERVER_CPU } = require('./cpus');
const { baseEnv } = require('./variants');

const LISTEN_TIMEOUT_MS = 60_000;

function startProcess(variant, scenario, proc, sinks, ports, { env: extraEnv = {}, cpu = SERVER_CPU, nodeArgs = [], launch } = {}) {
  const env = {
    ...baseEnv(),
    ...variant.env(sinks, proc.service, scenario),
    ...(proc.env ? proc.env(ports) : {}),
    ...extraEnv,
  };
  const all = [...nodeArgs, ...variant.preload(), proc.script];
  const [cmd, args] = launch ? launch(all) : pinned(cpu, all);
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const waiters = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const wait = (type, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${proc.service} (${variant.name}): no "${type}" within ${timeoutMs} ms. Output:\n${output}`)), timeoutMs);
      const waiter = { type, resolve: (m) => { clearTimeout(timer); resolve(m); } };
      waiters.push(waiter);
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${proc.service} (${variant.name}) exited (code ${code}, signal ${signal}) before "${type}". Output:\n${output}`));
      });
    });
  return { child, wait, exited };
}

/**
 * Starts every process of `scenario` under `variant`; resolves once all listen.
 * Options: `env` overrides the environment (the spans check shortens flush
 * delays); `cpu` pins elsewhere than the server CPU (untimed work);
 * `nodeArgs` go before the preload (profile.js adds --cpu-prof); `launch(nodeArgs)` returns
 * [command, args] to run node some other way (instructions.js runs it under valgrind).
 */
async function startScenario(variant, scenario, sinks, options = {}) {
  const procs = [];
  const ports = [];
  const listening = [];
  try {
    for (const proc of scenario.processes) {
      const p = startProcess(variant, scenario, proc, sinks, ports, options);
      procs.push(p);
      const m = await p.wait('listening', LISTEN_TIMEOUT_MS);
      ports.push(m.port);
      listening.push(m);
    }
  } catch (error) {
    procs.forEach((p) => p.child.kill('SIGKILL'));
    throw error;
  }
  return {
    url: `http://127.0.0.1:${ports[ports.length - 1]}${scenario.path}`,
    pids: procs.map((p) => p.child.pid),
    listening,
    /** Sum of the processes' CPU time so far, in µs. */
    async cpuMicros() {
      const replies = await Promise.all(procs.map((p) => { p.child.send('cpu'); return p.wait('cpu', 10_000); }));
      return replies.reduce((sum, r) => sum + r.userUs + r.systemUs, 0);
    },
    /** Asks the apps to exit normally (so --cpu-prof writes its profile). */
    async exit() {
      procs.forEach((p) => p.child.send('exit'));
      await Promise.all(procs.map((p) => p.exited));
    },
    async stop() {
      procs.forEach((p) => p.child.kill('SIGKILL'));
      await Promise.all(procs.map((p) => p.exited));
    },
  };
}

module.exports = { startScenario };
