/** Specs run on the exact `cpu` backend (see spec/setup.ts), transpiled by swc; `npm run lint` type-checks. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFilesAfterEnv: ['<rootDir>/spec/setup.ts'],
  testTimeout: 60000,
};
