'use strict';
// Preloaded last in the start-up runs that measure memory: prints the
// process's peak RSS when it exits. Kept out of the runs that measure time.
process.on('exit', () => {
  process.stderr.write(`\nbench-peak-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
