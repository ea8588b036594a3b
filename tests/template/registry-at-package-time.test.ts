import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageService } from '../helpers/package-service';

describe('sls package with a broken registry', () => {
  it('fails naming the pipeline and the field', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'registry-')), 'pipelines.yml');
    writeFileSync(
      file,
      [
        'pipelines:',
        '  broken:',
        '    trigger:',
        '      files: { only: "in/{date}.csv" }',
        '      windowMinutes: 0',
        '    task: { taskDefinition: sample, container: app, image: example.com/app:1, cpu: 256, memory: 512, launch: callback, timeoutSeconds: 600 }',
      ].join('\n'),
    );
    const failure = await packageService({ env: { PIPELINES_FILE: file } }).then(
      () => undefined,
      // PackageError (scripts/package-stage.ts) carries what sls printed in its message.
      (error: Error) => error.message,
    );
    expect(failure).toContain('pipeline "broken", field trigger.windowMinutes: window must be greater than 0');
    expect(failure).toContain('pipeline "broken", field task.heartbeatSeconds: a callback pipeline needs heartbeatSeconds');
  }, 120_000);
});
