// Preloaded (NODE_OPTIONS=--require) into an app process by the tracing tests: when the process exits, one
// stderr line names every @opentelemetry package it loaded, so a test can check what tracing off costs.
process.on('exit', () => {
  const packages = new Set();
  for (const path of Object.keys(require.cache)) {
    const match = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(path);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`loaded-opentelemetry ${JSON.stringify([...packages].sort())}\n`);
});
