/**
 * A demo task process: the sample notify endpoint with an optional fault, so the demo
 * shows retries and the DLQ. DEMO_FAULT=500-once answers 500 to its first notification
 * (the notifier's retry then succeeds); DEMO_FAULT=hang accepts connections and never
 * answers (the notifier times out, retries, fails, and the message ends in the DLQ).
 */
import { createServer } from 'node:http';
import { endpointOptionsFromEnv, startNotifyEndpoint } from '../../../container/sample/notify-endpoint';

const fault = process.env.DEMO_FAULT ?? 'none';

async function main(): Promise<void> {
  const options = endpointOptionsFromEnv();
  if (fault === 'hang') {
    const server = createServer(() => {
      // Never answers: the request stays open until the notifier's timeout.
      process.stdout.write(`${JSON.stringify({ msg: 'request received, never answering (DEMO_FAULT=hang)' })}\n`);
    });
    server.listen(options.port, options.host);
    process.once('SIGTERM', () => process.exit(0));
    return;
  }
  let failuresLeft = fault === '500-once' ? 1 : 0;
  const endpoint = await startNotifyEndpoint({
    ...options,
    onNotification: () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('simulated failure (DEMO_FAULT=500-once)');
      }
    },
  });
  process.once('SIGTERM', () => void endpoint.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
