// The jest `cluster` project runs the Redis-backed e2e suites against a three-master Redis Cluster:
// startRedis() (test/helpers/redis-server.ts) reads this and starts one instead of a single server.
process.env.BREAKWATER_TEST_REDIS = 'cluster';
