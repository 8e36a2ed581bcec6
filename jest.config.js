'use strict';
// One Jest project per package. Tests import sibling packages from source
// (moduleNameMapper), so `jest` never runs against stale builds; child-process
// tests use the compiled dist/ that `tsc -b` (run first by `npm test`) produced.
const fs = require('fs');
const path = require('path');

const packages = fs.readdirSync(path.join(__dirname, 'packages'))
  .filter((name) => fs.existsSync(path.join(__dirname, 'packages', name, 'test')));

module.exports = {
  projects: [...packages.map((name) => ({
    displayName: name,
    rootDir: path.join(__dirname, 'packages', name),
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testEnvironment: 'node',
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'packages', name, 'tsconfig.json') }],
    },
    moduleNameMapper: {
      '^@tracewire/([a-z-]+)$': path.join(__dirname, 'packages', '$1', 'src'),
      '^@tracewire/([a-z-]+)/dist/(.*)$': path.join(__dirname, 'packages', '$1', 'src', '$2'),
    },
  })),
  // The shop demo's end-to-end test (plain JS against the built packages).
  path.join(__dirname, 'examples', 'shop')],
  testTimeout: 30000,
};
