'use strict';
// How busy one CPU was, from /proc/stat: lets the bench report how much of
// the server CPU went to processes other than the server (other work on the
// machine), which would otherwise pass silently as a slow variant.
const fs = require('node:fs');

// USER_HZ is 100 on every Linux the bench targets (getconf CLK_TCK).
const MICROS_PER_TICK = 10_000;

/** { busyUs, stealUs } so far for `cpu`, or null where /proc/stat is missing. */
function cpuTimes(cpu) {
  let text;
  try {
    text = fs.readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return null;
  // user nice system idle iowait irq softirq steal
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busyUs: (user + nice + system + irq + softirq) * MICROS_PER_TICK, stealUs: (steal || 0) * MICROS_PER_TICK };
}

module.exports = { cpuTimes };
