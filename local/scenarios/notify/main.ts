/**
 * `npm run demo:notify`: the ECS service task notifier end to end on the local cloud.
 *
 * Starts a fresh local cloud (its queues' timings shortened: see NOTIFY_OVERRIDES), starts
 * three ECS services as child processes on loopback addresses, sends one broadcast to the
 * observer queue, lets the stack's functions run from their queues, then prints each receipt,
 * the audit table and the task DLQ. Exits 0 only when the labelled tasks were notified, the
 * one that never answers ended in the DLQ, and the unlabelled service heard nothing.
 * DEMO_VERBOSE=1 prints every line the tasks write.
 */
import { explain } from '../../cloud/errors';
import { projectRoot } from '../../cloud/project-root';
import { startLocalCloud } from '../../cloud/start';
import { NOTIFY_OVERRIDES, runNotifyScenario } from './notify';

const verbose = process.env.DEMO_VERBOSE === '1';
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** `<service>/<task>: <JSON log line>` → `<service>/<task>: <msg> <payload>`. */
function compact(entry: string): string {
  const at = entry.indexOf(': ');
  try {
    const line = JSON.parse(entry.slice(at + 2)) as { msg?: string; payload?: unknown };
    return `${entry.slice(0, at)}: ${line.msg ?? ''}${line.payload ? ` ${JSON.stringify(line.payload)}` : ''}`;
  } catch {
    return entry;
  }
}

async function main(): Promise<number> {
  say('Starting the local cloud (queues: 2 s visibility, DLQ after 2 receives; deliveries: 1 s timeout, 3 attempts)...');
  const cloud = await startLocalCloud({
    root: projectRoot,
    portBase: 0,
    runServices: false,
    resourceOverrides: NOTIFY_OVERRIDES,
    log: (line) => say(`  ${line}`),
  });
  say(`  up in ${cloud.startupMs} ms\n`);
  try {
    const result = await runNotifyScenario(cloud, { say, ...(verbose ? { onTaskLine: (entry: string) => say(`  [task] ${entry}`) } : {}) });
    say(`Queues drained in ${(result.drainedMs / 1000).toFixed(1)} s.`);

    say('\nReceipts (deliveries a task accepted, once each):');
    for (const entry of result.receipts) say(`  ✔ ${compact(entry)}`);
    say('\nFailed attempts (not receipts: answered with an error or never answered; the notifier retried):');
    for (const entry of result.failedAttempts) say(`  ✘ ${compact(entry)}`);
    if (!result.failedAttempts.length) say('  (none)');

    say('\nAudit table:');
    for (const item of [...result.audit].sort((a, b) => String(a.service).localeCompare(String(b.service)))) {
      const task = String(item.taskArn ?? '')
        .split('/')
        .pop();
      say(
        `  ${String(item.service).padEnd(13)} ${task}  ${String(item.status).padEnd(9)} claims=${item.claims} attempts=${item.attempts} http=${item.httpStatus ?? '-'} latency=${item.latencyMs}ms${item.lastError ? `\n      lastError: ${item.lastError}` : ''}`,
      );
    }

    say('\nTask DLQ (the message as redrive would resend it; its reason is the audit item of the same event id + task ARN):');
    for (const message of result.dead)
      say(`  ${message.eventId} ${message.serviceName}/${message.taskArn.split('/').pop()} at ${message.ip}`);
    if (!result.dead.length) say('  (empty)');
    const calls = ['ListServices', 'DescribeServices', 'DescribeTaskDefinition', 'ListTasks', 'DescribeTasks'].map(
      (op) => `${op}=${result.ecsCalls[op] ?? 0}`,
    );
    say(`\nECS calls made: ${calls.join(', ')}`);
    say(
      `Unlabelled service batch-runner got no notification: ${result.receipts.every((r) => !r.startsWith('batch-runner')) ? 'yes' : 'NO'}`,
    );
    say(
      result.ok
        ? '\n✔ demo:notify passed: labelled tasks notified once each, the silent one in the DLQ with its reason'
        : `\n✘ demo:notify failed: ${result.problems.join('; ')}`,
    );
    if (!result.ok) say('  function logs: .local-cloud/logs/   task output: DEMO_VERBOSE=1');
    return result.ok ? 0 : 1;
  } finally {
    await cloud.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo:notify failed: ${explain(error)}\n`);
    process.exit(1);
  },
);
