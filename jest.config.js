// Tests run from the TypeScript sources: no build is needed first. Workspace
// packages are mapped to their src/ so a change is picked up at once.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', process.env.SOAK ? '^$' : '\\.soak\\.test\\.ts$'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: {
    // scripts/ci-oldest-sdk.sh: the suites on another @aws-sdk/client-dynamodb (installed elsewhere).
    ...(process.env.AWS_SDK_CLIENT_DYNAMODB_DIR ? { '^@aws-sdk/client-dynamodb$': process.env.AWS_SDK_CLIENT_DYNAMODB_DIR } : {}),
    '^@connect-dynamodb-session/core$': '<rootDir>/packages/core/src/index.ts',
    '^@connect-dynamodb-session/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@connect-dynamodb-session/(dynamodb|koa)$': '<rootDir>/packages/$1/src/index.ts',
    '^connect-dynamodb-session$': '<rootDir>/packages/express/src/index.ts',
  },
  globalSetup: '<rootDir>/test-support/global-setup.js',
  globalTeardown: '<rootDir>/test-support/global-teardown.js',
  testTimeout: 30000,
};
