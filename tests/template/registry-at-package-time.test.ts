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
        '    task: { taskDefinition: sample, container: app, image: example.com/app:1, cpu: 256, memory: 512, launch: callback, timeoutSeconds: 600, retry: { capacity: { attempts: 9 } } }',
      ].join('\n'),
    );
    const failure = await packageService({ env: { PIPELINES_FILE: file } }).then(
      () => undefined,
      // Packaging fails with what serverless said in the error's message (scripts/package-stage.ts).
      (error: Error) => error.message,
    );
    expect(failure).toContain('pipeline "broken", field trigger.windowMinutes: window must be greater than 0');
    expect(failure).toContain('pipeline "broken", field task.heartbeatSeconds: a callback pipeline needs heartbeatSeconds');
    expect(failure).toContain('pipeline "broken", field task.retry.capacity.attempts: attempts must be 0..5 (tries after the first)');
  }, 120_000);
});
