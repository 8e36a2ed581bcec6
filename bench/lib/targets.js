'use strict';
// The table (issue 7): what the peers cost on a 2-core machine like
// ours, and tracewire's targets. `better` says which way is a pass.

const TARGETS = {
  express: { lean: 0.53, auto: 0.42, dd: 0.48, target: 0.9, better: 'higher' },
  koa: { lean: 0.25, auto: 0.23, dd: 0.16, target: 0.7, better: 'higher' },
  checkout: { lean: 0.51, auto: 0.46, dd: 0.45, target: 0.85, better: 'higher' },
  startupE0: { lean: 2.49, auto: 5.54, dd: 4.19, target: 1.2, better: 'lower' },
  spanNs: { lean: 1193, target: 250, better: 'lower' },
  exportCpuNs: { lean: 3781, dd: 3490, target: 800, better: 'lower' },
  heapBytesPerSpan: { lean: 921, target: 300, better: 'lower' },
  installPackages: { auto: 218, dd: 29, target: 10, better: 'lower' },
  installMb: { auto: 116, dd: 100, target: 2, better: 'lower' },
};

/** true / false against the target, or null when not measured. */
function meets(key, value) {
  const t = TARGETS[key];
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return t.better === 'higher' ? value >= t.target : value <= t.target;
}

module.exports = { TARGETS, meets };
