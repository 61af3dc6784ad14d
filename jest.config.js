/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Transpile only: `npm test` type-checks the whole tree with `tsc --noEmit` first.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  },
  testTimeout: 20000,
  // Suites that spawn the server run dist/: rebuild it when src/ is newer.
  globalSetup: '<rootDir>/test/build-if-stale.mjs',
};
