/**
 * Specs run on the exact `cpu` backend (see spec/setup.ts). ts-jest only transpiles
 * (`isolatedModules` in tsconfig.json); `npm run lint` does the type-check.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // site/ imports the package by name, as an app would; specs of it get the sources.
  moduleNameMapper: { '^tfjs-jd$': '<rootDir>/lib' },
  setupFilesAfterEnv: ['<rootDir>/spec/setup.ts'],
  testTimeout: 60000,
};
