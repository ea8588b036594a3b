/**
 * `npm run invoke:local -- -f <function> -p <event.json>`: `sls invoke local --stage local`
 * pointed at the running local cloud (its endpoints from .local-cloud/endpoints.json), so a
 * function run by the Serverless Framework reads and writes the local cloud's resources.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { readEndpointsFile } from './endpoints-file';

const root = resolve(__dirname, '..', '..');
const running = readEndpointsFile(root);
if (!running) {
  console.error('No local cloud is running: start one with npm run local (in another terminal), then retry.');
  process.exit(1);
}
const child = spawn(join(root, 'node_modules', '.bin', 'sls'), ['invoke', 'local', '--stage', 'local', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...running.environment, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
});
child.on('exit', (code) => process.exit(code ?? 1));
