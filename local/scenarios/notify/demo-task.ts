/**
 * A demo task process: the sample notify endpoint (container/sample/notify-endpoint.ts, set
 * up from the same NOTIFY_* variables) with an optional fault, so the demo shows retries and
 * the DLQ. Without a fault it is the sample endpoint as is. DEMO_FAULT=500-once answers 500 to its first notification
 * (the notifier's retry then succeeds); DEMO_FAULT=hang accepts connections and never
 * answers (the notifier times out, retries, fails, and the message ends in the DLQ).
 *
 * The tasks of one ECS service share one environment, so a service whose tasks should
 * misbehave differently sets DEMO_FAULTS=none,500-once,hang and DEMO_FAULT_CLAIMS=<folder>:
 * each task claims the first fault no other task has claimed.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { endpointOptionsFromEnv, startNotifyEndpoint } from '../../../container/sample/notify-endpoint';

function claimFault(): string {
  const faults = (process.env.DEMO_FAULTS ?? '').split(',').filter(Boolean);
  const claims = process.env.DEMO_FAULT_CLAIMS;
  if (!faults.length || !claims) return process.env.DEMO_FAULT ?? 'none';
  mkdirSync(claims, { recursive: true });
  for (const [index, fault] of faults.entries()) {
    try {
      // Creating the file fails if another task created it first: one task per fault.
      closeSync(openSync(join(claims, `fault-${index}`), 'wx'));
      return fault;
    } catch {}
  }
  return 'none';
}

const fault = claimFault();

async function main(): Promise<void> {
  const options = endpointOptionsFromEnv();
  if (fault === 'hang') {
    const server = createServer(() => {
      // Never answers: the request stays open until the notifier's timeout.
      process.stdout.write(`${JSON.stringify({ msg: 'request received, never answering (DEMO_FAULT=hang)' })}\n`);
    });
    server.listen(options.port, options.host, () =>
      process.stdout.write(`${JSON.stringify({ msg: 'listening, will never answer (DEMO_FAULT=hang)' })}\n`),
    );
    process.once('SIGTERM', () => process.exit(0));
    return;
  }
  let failuresLeft = fault === '500-once' ? 1 : 0;
  const endpoint = await startNotifyEndpoint({
    ...options,
    onNotification: (notification) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        // Said before the 500 goes out: this attempt is not a receipt, the notifier retries it.
        process.stdout.write(
          `${JSON.stringify({ msg: 'answering 500 on purpose (DEMO_FAULT=500-once)', idempotencyKey: notification.idempotencyKey })}\n`,
        );
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
