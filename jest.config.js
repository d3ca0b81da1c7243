// Three tiers: unit specs beside the code; int specs (test/int/) drive one class against a real redis-server;
// e2e specs (test/) run the gateway over real HTTP against a real redis-server; the cluster project runs the
// Redis-backed e2e suites again against a Redis Cluster.
const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@breakwater/(.*)$': '<rootDir>/libs/$1/src' },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/test/int/**/*.int-spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.js',
    },
    {
      // The suites whose state lives in Redis (queue, cache and single flight across replicas, limits), again against a
      // three-master Redis Cluster (REDIS_CLUSTER_NODES).
      ...shared,
      displayName: 'cluster',
      testMatch: ['<rootDir>/test/{queue,cache,cache-replicas,limits,limits-budget}.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.js',
      setupFiles: [...shared.setupFiles, '<rootDir>/test/helpers/cluster-mode.js'],
    },
  ],
};
