// The process-level tests run the built apps, as `npm start` does: build once if sources changed.
const { execSync } = require('node:child_process');

module.exports = async () => {
  execSync('node scripts/ensure-built.js', { stdio: 'inherit' });
};
