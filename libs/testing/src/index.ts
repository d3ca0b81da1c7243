// What specs and e2e tests share and production code never imports (lint forbids it): the test
// configuration and the shapes data takes in transit. Test processes and servers stay in test/helpers.
export * from './test-config';
export * from './plain-data';
export * from './completion.fixture';
