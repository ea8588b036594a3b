// Once before every test run: bundle the sample containers (container/dist), which the local
// cloud's tasks, the demo and the console tests run as `node dist/task.js`. A stale or missing
// bundle would run yesterday's container code, or none, depending on which test happened to
// build it first.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  execFileSync(process.execPath, [join(__dirname, '../../container/build.mjs')], { stdio: 'pipe' });
};
