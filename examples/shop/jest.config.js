// The shop's end-to-end tests, against the built packages (dist/, from `tsc -b`),
// the way `npm start` runs them. Alone: npx tsc -b && npx jest -c examples/shop/jest.config.js
module.exports = {
  displayName: 'shop',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.test.js'],
  testEnvironment: 'node',
  transform: {},
};
