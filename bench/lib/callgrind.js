'use strict';
// Reading callgrind's dumps for instructions.js: the total of a dump, and the
// instructions each function executed itself ("self"), with the names of
// JIT-compiled JavaScript functions taken from the perf map that
// `node --perf-basic-prof` writes (/tmp/perf-<pid>.map): callgrind only sees
// their addresses.
const fs = require('node:fs');

/** Instructions (Ir) in one callgrind dump file. */
function dumpTotal(file) {
  const m = /^(?:summary|totals):\s*(\d+)/m.exec(fs.readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no instruction total in ${file}`);
  return Number(m[1]);
}

/** A lookup address → JavaScript function name from a perf map ("start size name" lines, hex). */
function perfMapLookup(file) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return () => undefined;
  }
  const entries = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) entries.push([parseInt(m[1], 16), parseInt(m[2], 16), m[3]]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  return (address) => {
    let lo = 0;
    let hi = entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid][0] <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && address < entries[found][0] + entries[found][1] ? entries[found][2] : undefined;
  };
}

/**
 * Walks the cost lines of a callgrind dump: onCost(fn, callee, count) for
 * each, where callee is the called function for a cost line right after a
 * `calls=` line (the inclusive cost of that call) and undefined for the
 * function's own instructions. Names of JIT code (an address) go through
 * `lookup`; the line:column of a JS name is dropped, so the same function
 * compares across builds.
 */
function walkCosts(dumpFile, lookup, onCost) {
  // Callgrind names each function once, "(id) name", and by "(id)" after that.
  const names = new Map();
  const name = (spec) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) names.set(m[1], m[2]);
    return names.get(m[1]);
  };
  const readable = (raw) => {
    const address = /^0x([0-9a-f]+)/.exec(raw);
    const resolved = address ? lookup(parseInt(address[1], 16)) ?? raw : raw;
    return resolved.replace(/^JS:[*^~+]?/, '').replace(/:\d+:\d+$/, '');
  };
  let fn = '';
  let callee = '';
  let callCost = false;
  for (const line of fs.readFileSync(dumpFile, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) fn = readable(name(line.slice(3)));
    else if (line.startsWith('cfn=')) callee = readable(name(line.slice(4)));
    else if (line.startsWith('calls=')) callCost = true;
    else if (/^[+\-*0-9]/.test(line)) {
      onCost(fn, callCost ? callee : undefined, Number(line.split(' ')[1] ?? 0));
      callCost = false;
    }
  }
}

/** Adds each function's self instructions in `dumpFile` to `into` (name → count). */
function addSelfCosts(dumpFile, lookup, into) {
  walkCosts(dumpFile, lookup, (fn, callee, count) => {
    if (callee === undefined) into.set(fn, (into.get(fn) ?? 0) + count);
  });
}

/**
 * Adds, for each function whose name matches `pattern`, what each of its
 * callers spent in it (inclusive: the callee and everything it called) to
 * `into` ("caller -> callee" → count). A builtin such as
 * Builtins_KeyedLoadIC_Megamorphic or a runtime function is only a symptom;
 * this says whose code pays it.
 */
function addCallerCosts(dumpFile, lookup, pattern, into) {
  walkCosts(dumpFile, lookup, (fn, callee, count) => {
    if (callee === undefined || !pattern.test(callee)) return;
    const key = `${fn} -> ${callee}`;
    into.set(key, (into.get(key) ?? 0) + count);
  });
}

module.exports = { dumpTotal, perfMapLookup, addSelfCosts, addCallerCosts };
