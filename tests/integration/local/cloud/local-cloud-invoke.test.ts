/**
 * `sls invoke local --stage local` of the watcher, with a fixture event, reaches a running
 * local cloud: the record it puts on the local stream flows through the fan-in to the
 * Batches table. local/serverless-plugin.cjs gives the function the environment and the
 * AWS_ENDPOINT_URL_* variables the running cloud wrote to its endpoints file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../../../local/cloud/test-support';
import { uploadsBucket } from '../../../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../../../local/cloud/start';

jest.setTimeout(240_000);
const run = promisify(execFile);

let cloud: LocalCloud & { scratch: string };
let endpointsFile: string;
beforeAll(async () => {
  // Its own endpoints file: a developer's `npm run local` may be running beside the tests.
  endpointsFile = join(mkdtempSync(join(tmpdir(), 'local-cloud-endpoints-')), 'endpoints.json');
  process.env.LOCAL_CLOUD_ENDPOINTS_FILE = endpointsFile;
  cloud = await freshLocalCloud({ writeEndpoints: true });
});
afterAll(async () => {
  await cloud?.stop();
  delete process.env.LOCAL_CLOUD_ENDPOINTS_FILE;
});

test('the watcher invoked by sls invoke local puts the arrival on the local cloud', async () => {
  // Prepare: an S3 notification for the local uploads bucket, as a fixture file.
  const fixture = join(cloud.scratch, 'event.json');
  writeFileSync(
    fixture,
    JSON.stringify(
      cloud.wiring.s3EventFor(uploadsBucket(cloud), 'incoming/acme/orders-2026-08-01.csv', 120, '"0123456789abcdef0123456789abcdef"'),
    ),
  );
  // Act
  await run(join(projectRoot, 'node_modules/.bin/sls'), ['invoke', 'local', '--stage', 'local', '-f', 's3UploadWatcher', '-p', fixture], {
    cwd: projectRoot,
    // Nothing but where the cloud is described: the plugin takes endpoints and names from there.
    env: { ...process.env, LOCAL_CLOUD_ENDPOINTS_FILE: endpointsFile, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  // Assess: the local fan-in read it from the local stream and recorded the file.
  const item = await waitFor('the Batches item', async () => {
    const out = await cloud.clients.documents.send(
      new GetCommand({ TableName: cloud.resources.tables.BatchesTable!, Key: { pk: 'orders-daily#2026-08-01' } }),
    );
    return out.Item;
  });
  expect([...(item.arrived as Set<string>)]).toEqual(['orders']);
});
