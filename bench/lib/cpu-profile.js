'use strict';
// Reads a .cpuprofile (node --cpu-prof) and ranks functions by self time.
const fs = require('node:fs');

/** [{ name, location, selfMs, selfPct }] sorted by self time, largest first. */
function selfTimes(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byNode = new Map();
  profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) || 0) + (profile.timeDeltas[i] || 0)));
  const byFunction = new Map();
  let total = 0;
  for (const [id, micros] of byNode) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const location = url ? `${url.replace(/^file:\/\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}\t${location}`;
    byFunction.set(key, (byFunction.get(key) || 0) + micros);
    total += micros;
  }
  return [...byFunction]
    .map(([key, micros]) => {
      const [name, location] = key.split('\t');
      return { name, location, selfMs: micros / 1000, selfPct: (micros / total) * 100 };
    })
    .sort((a, b) => b.selfMs - a.selfMs);
}

module.exports = { selfTimes };
