/**
 * The sample notify endpoint as a process (a service task's command): reads its settings from
 * the environment (container/sample/notify-endpoint.ts), listens, and on SIGTERM (ECS stopping
 * the task) finishes in-flight requests and exits.
 */
import { endpointOptionsFromEnv, startNotifyEndpoint, stdoutLog } from './notify-endpoint';

startNotifyEndpoint(endpointOptionsFromEnv())
  .then((endpoint) => {
    process.once('SIGTERM', () => void endpoint.close().then(() => process.exit(0)));
  })
  .catch((error: unknown) => {
    stdoutLog({ level: 'ERROR', msg: 'notify endpoint failed to start', error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
