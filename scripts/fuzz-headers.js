#!/usr/bin/env node
'use strict';
// The trace header fuzzer at scale, for the faults run:
//
//   node scripts/fuzz-headers.js [--cases=100000] [--http-cases=N] [--seed=N]
//
// Runs packages/http/test/header-fuzz.test.ts (what `npm test` runs with 3000
// cases) with `--cases` generated header sets spread over eight propagator
// configurations, `--http-cases` of them (default: one in a hundred) sent raw
// through a traced server that calls another, from `--seed` (default: from the
// clock; printed, so a failing run can be replayed). Prints one summary line per
// part and exits non-zero if any case failed. The tests run from the sources,
// as `npm test` does; no build is needed.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const TEST = path.join(ROOT, 'packages', 'http', 'test', 'header-fuzz.test.ts');

function parseArgs(argv) {
  const options = {};
  for (const arg of argv) {
    const match = /^--(cases|http-cases|seed)=(\d+)$/.exec(arg);
    if (match === null) {
      console.error(`fuzz-headers: unknown argument ${JSON.stringify(arg)}; use --cases=N, --http-cases=N, --seed=N (whole numbers).`);
      process.exit(2);
    }
    options[match[1]] = Number(match[2]);
  }
  const cases = options.cases ?? 100000;
  return { cases, httpCases: options['http-cases'] ?? Math.ceil(cases / 100), seed: options.seed ?? (Date.now() % 2147483647) };
}

const mib = (bytes) => (bytes / 1048576).toFixed(1);

function summary(report, seed) {
  const lines = [];
  const p = report.propagation;
  if (p) {
    lines.push(
      `propagation: ${p.cases} cases, ${p.failures.length === 0 ? 'none' : p.failures.length} failing, ${p.continued} valid parents continued, ` +
        `heap ${mib(p.heapBefore)} → ${mib(p.heapAfter)} MiB after GC, ${(p.millis / 1000).toFixed(1)} s`,
    );
  }
  const h = report.http;
  if (h) {
    const statuses = Object.entries(h.statuses).map(([status, count]) => `${status}: ${count}`).join(', ');
    lines.push(`servers: ${h.cases} requests (${statuses}), ${h.failures.length === 0 ? 'none' : h.failures.length} failing, ${(h.millis / 1000).toFixed(1)} s`);
  }
  for (const failure of [...(p?.failures ?? []), ...(h?.failures ?? [])].slice(0, 5)) {
    lines.push(`  ${failure.configuration} case ${failure.index}: ${failure.problems.join('; ').slice(0, 300)}`);
  }
  lines.push(`the same cases again: node scripts/fuzz-headers.js --seed=${seed} --cases=${p?.cases ?? 0} --http-cases=${h?.cases ?? 0}`);
  return lines.join('\n');
}

function main() {
  const { cases, httpCases, seed } = parseArgs(process.argv.slice(2));
  const reportFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-headers-')), 'report.json');
  console.log(`header fuzzer, seed ${seed}: ${cases} cases, ${httpCases} through real servers`);
  const jest = require.resolve('jest/bin/jest', { paths: [ROOT] });
  const run = spawnSync(process.execPath, [jest, '--selectProjects', 'http', '--runTestsByPath', TEST, '--ci', '--silent'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_CASES: String(cases), FUZZ_HTTP_CASES: String(httpCases), FUZZ_SEED: String(seed), FUZZ_REPORT: reportFile },
  });
  if (fs.existsSync(reportFile)) {
    console.log(summary(JSON.parse(fs.readFileSync(reportFile, 'utf8')), seed));
    fs.rmSync(path.dirname(reportFile), { recursive: true, force: true });
  }
  process.exit(run.status ?? 1);
}

main();
