'use strict';
// CPU pinning: servers on one CPU, the load generator (and this process, which
// hosts the receivers) on the other, so the two never compete for a core.
// taskset comes from util-linux; without it (or with fewer than two CPUs) the
// bench still runs, unpinned, and the report says so.
const { execFileSync } = require('node:child_process');
const os = require('node:os');

const SERVER_CPU = 0;
const LOAD_CPU = 1;

function detect() {
  const cpus = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  if (process.platform !== 'linux') return { pinned: false, cpus, reason: `not Linux (${process.platform})` };
  if (cpus < 2) return { pinned: false, cpus, reason: `only ${cpus} CPU available` };
  try {
    execFileSync('taskset', ['-c', String(SERVER_CPU), 'true'], { stdio: 'ignore' });
  } catch {
    return { pinned: false, cpus, reason: 'taskset (util-linux) not found' };
  }
  return { pinned: true, cpus, reason: `servers on CPU ${SERVER_CPU}, load generator and receivers on CPU ${LOAD_CPU}` };
}

const pinning = detect();

/** Both CPUs, for untimed work (this process's own affinity would otherwise be inherited). */
const ANY_CPU = `${SERVER_CPU},${LOAD_CPU}`;

/** [command, args] that run `node args` pinned to `cpu` (a number or a taskset list) when pinning works. */
function pinned(cpu, nodeArgs) {
  if (!pinning.pinned) return [process.execPath, nodeArgs];
  return ['taskset', ['-c', String(cpu), process.execPath, ...nodeArgs]];
}

/** Moves this process (all its threads) to the load CPU. */
function pinSelf() {
  if (!pinning.pinned) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
}

module.exports = { pinning, pinned, pinSelf, SERVER_CPU, LOAD_CPU, ANY_CPU };
