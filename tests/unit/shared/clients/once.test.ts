/**
 * A product's dependency factories import every client of the product; a function must still
 * bundle only the SDK clients it calls (lib/shared/clients/*.ts mark their `once` calls pure).
 */
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { once } from '../../../../lib/shared/clients/once';
const esbuildPlugins = require('../../../../scripts/esbuild-plugins.cjs') as Plugin[];

const root = join(__dirname, '../../../..');

/** The @aws-sdk/client-* packages whose code ends up in the handler's bundle (deployed settings). */
async function bundledClients(handler: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, 'handlers', handler)],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    plugins: esbuildPlugins,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = Object.values(result.metafile.outputs).flatMap((output) => Object.entries(output.inputs));
  const clients = inputs
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(path)?.[1]);
  return [...new Set(clients.filter((c): c is string => Boolean(c)))].sort();
}

describe('SDK clients in function bundles', () => {
  it.each([
    ['discover-services.ts', ['client-dynamodb', 'client-ecs', 'client-sqs']],
    ['notify-task.ts', ['client-dynamodb', 'client-secrets-manager']],
    ['produce-messages.ts', ['client-sqs']],
    ['update-scaling-target.ts', ['client-application-auto-scaling', 'client-cloudwatch']],
  ])(
    '%s bundles only the clients it calls',
    async (handler, expected) => {
      expect(await bundledClients(handler)).toEqual(expected);
    },
    30_000,
  );

  it('creates a client once, on first use', () => {
    let made = 0;
    const client = once(() => ({ id: (made += 1) }));
    expect(made).toBe(0);
    expect(client()).toBe(client());
    expect(made).toBe(1);
  });
});
