/**
 * `npm run local`: the whole stack (pipelines, notifier, queue services) kept running on the
 * local cloud, with its endpoints printed and written to .local-cloud/endpoints.json.
 * Ctrl-C stops it.
 *
 * Options (environment): LOCAL_CLOUD_PORT_BASE (default 4580; 0 = free ports),
 * LOCAL_CLOUD_PERSIST=<folder> (keep data across restarts), LOCAL_CLOUD_QUIET=1,
 * PIPELINES_FILE=<registry> (another pipelines.yml), LOCAL_SECRETS_FILE=<file> (the pipelines'
 * secrets as NAME=value lines; default local/secrets.env; the environment wins).
 */
import { resolve } from 'node:path';
import { startLocalCloud, type LocalCloud } from './start';
import { portBaseFromEnv } from './ports';
import { readEndpointsFile } from './endpoints-file';
import { attachProgress } from './progress';
import { explain } from './errors';
import { projectRoot } from './project-root';
import { installFatalHandlers } from './fatal';

const root = projectRoot;

async function main(): Promise<void> {
  const running = readEndpointsFile(root);
  if (running) {
    throw new Error(
      `a local cloud is already running (pid ${running.pid}, console ${running.console ?? '?'}): stop it first, or set LOCAL_CLOUD_PORT_BASE to run a second one`,
    );
  }
  const persistDir = process.env.LOCAL_CLOUD_PERSIST ? resolve(process.env.LOCAL_CLOUD_PERSIST) : undefined;
  const cloud: LocalCloud = await startLocalCloud({
    root,
    portBase: portBaseFromEnv(),
    writeEndpoints: true,
    ...(persistDir ? { persistDir } : {}),
    log: (line) => console.log(`  ${line}`),
  });
  const pad = (s: string) => s.padEnd(16);
  console.log(
    `\nLocal cloud of ${cloud.stackName} is up in ${cloud.startupMs} ms${persistDir ? ` (data kept in ${persistDir})` : ' (in memory)'}\n`,
  );
  for (const [name, url] of Object.entries(cloud.endpoints)) console.log(`  ${pad(name)}${url}`);
  console.log(`\n  ${pad('executions')}${cloud.endpoints.console}/executions`);
  console.log(`  ${pad('uploads bucket')}${Object.values(cloud.resources.buckets).join(', ')}`);
  console.log(`  ${pad('state machine')}${cloud.resources.stateMachineArn}`);
  for (const name of Object.values(cloud.ecs.stackServices)) console.log(`  ${pad('ECS service')}${name}`);
  const observer = cloud.resources.queues.NotifierObserverQueue;
  if (observer) console.log(`  ${pad('notifier queue')}${observer.url}`);
  console.log(`  ${pad('notifications')}${cloud.endpoints.console}/notifications   alarms: ${cloud.endpoints.console}/alarms`);
  console.log(
    `  ${pad('endpoints file')}.local-cloud/endpoints.json   logs: .local-cloud/logs/ (tasks/ per task), npm run logs -- --run <runKey>`,
  );
  console.log('\nTry:');
  const bucket = Object.values(cloud.resources.buckets)[0] ?? '<bucket>';
  console.log(
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${cloud.endpoints.s3} s3 cp local/scenarios/demo/fixtures/orders-2026-11-20.csv s3://${bucket}/incoming/acme/orders-2026-11-20.csv`,
  );
  console.log(`  npx sls invoke local --stage local -f s3UploadWatcher -p tests/events/s3/derived-orders-put-encoded-key.json`);
  console.log(`  npx sls invoke local --stage local -f produceMessages --data '{"queueService":"thumbnails","count":50}'`);
  console.log(
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region ${cloud.region} --endpoint-url ${cloud.endpoints.events} events put-events --entries '[{"Source":"com.acme.orders","DetailType":"OrderBatchClosed","Detail":"{\\"data\\":{\\"region\\":\\"AU\\"},\\"metadata\\":{\\"idempotency-key\\":\\"k1\\"}}"}]'`,
  );
  if (observer)
    console.log(
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${cloud.endpoints.sqs} sqs send-message --queue-url ${observer.url} --message-body '{"eventId":"e1","payload":{"action":"reload"}}'`,
    );
  console.log('\nCtrl-C stops the cloud.\n');
  if (process.env.LOCAL_CLOUD_QUIET !== '1') attachProgress(cloud, (line) => console.log(line));
  installFatalHandlers(cloud, {
    ...(persistDir ? { persistDir } : {}),
    log: (text) => console.error(text),
    exit: (code) => process.exit(code),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the local cloud…');
    await cloud.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Keeps the process alive: the cloud's servers are all that runs.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  console.error(`\nThe local cloud did not start: ${explain(error)}`);
  process.exit(1);
});
