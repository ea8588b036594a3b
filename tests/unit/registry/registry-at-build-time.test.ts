/**
 * Functions ship the registry validated when they are bundled (scripts/esbuild-plugins.cjs),
 * not the schema: a bad registry must fail the build naming the pipeline and the field, and
 * a good one must arrive with its defaults filled in, as validateRegistry returns it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
const esbuildPlugins = require('../../../scripts/esbuild-plugins.cjs') as Plugin[];

/** Bundles an entry that imports `pipelines.yml` written with `yaml`; returns the bundle's default export. */
async function bundleRegistry(yaml: string): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-build-'));
  writeFileSync(join(dir, 'pipelines.yml'), yaml);
  writeFileSync(join(dir, 'entry.js'), "module.exports = require('./pipelines.yml');");
  const result = await build({
    entryPoints: [join(dir, 'entry.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
    plugins: esbuildPlugins,
  });
  const module = { exports: {} as { default?: unknown } };
  new Function('module', 'exports', result.outputFiles[0]!.text)(module, module.exports);
  return module.exports.default ?? module.exports;
}

const valid = [
  'pipelines:',
  '  demo:',
  '    trigger:',
  '      files: { orders: "in/orders-{date}.csv" }',
  '      windowMinutes: 60',
  '    task: { taskDefinition: sample, container: app, image: example.com/app:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }',
].join('\n');

describe('the registry in function bundles', () => {
  it('is the validated registry, defaults filled in', async () => {
    const registry = (await bundleRegistry(valid)) as {
      pipelines: Record<string, { trigger: Record<string, unknown>; task: Record<string, unknown>; alarms: unknown }>;
    };
    expect(registry.pipelines.demo!.trigger.rerunOnReupload).toBe(false);
    expect(registry.pipelines.demo!.task).toMatchObject({
      shards: 1,
      capacity: 'fargate',
      architecture: 'X86_64',
      environment: {},
      secrets: {},
      policies: [],
    });
    expect(registry.pipelines.demo!.alarms).toEqual({ failuresPerHour: 1 });
  });

  it('fails the build naming the pipeline and the field', async () => {
    const broken = valid.replace('windowMinutes: 60', 'windowMinutes: 0').replace('launch: sync', 'launch: callback');
    const failure = await bundleRegistry(broken).then(
      () => 'built',
      (error: Error) => error.message,
    );
    expect(failure).toContain('pipeline "demo", field trigger.windowMinutes: window must be greater than 0');
    expect(failure).toContain('pipeline "demo", field task.heartbeatSeconds: a callback pipeline needs heartbeatSeconds');
  });
});
