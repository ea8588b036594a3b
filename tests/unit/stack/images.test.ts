/**
 * Built images: one repository per stack (scan on push, immutable tags, expiry), push rights
 * apart from the tasks' pull rights, task definitions pinned to the digest the deploy command
 * passes, and a plain `sls deploy` refused while a built image has no digest.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { FIRST_DEPLOY, imageParts, parseImageDigests } from '../../../stack/images';
import { StackGenerationError } from '../../../stack/template';

// The plugin is CommonJS, as serverless loads it.
const StackPlugin = require('../../../stack/serverless-plugin.cjs') as new (
  serverless: unknown,
  options: unknown,
  utils: unknown,
) => {
  hooks: Record<string, () => unknown>;
  generated: { unbuiltImages: string[]; firstDeploy: boolean } | undefined;
  refuseUnbuiltImages(): void;
};

const DIGEST = `sha256:${'b'.repeat(64)}`;
const names = { service: 'svc', stage: 'test' };
const task = { container: 'app', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600 };
const registry = parseRegistry(
  JSON.stringify({
    pipelines: {
      built: { schedule: { expression: 'rate(1 hour)' }, task: { ...task, image: { build: { dockerfile: 'container/Dockerfile' } } } },
      given: { schedule: { expression: 'rate(1 hour)' }, task: { ...task, image: 'example.com/given:1' } },
    },
  }),
);

describe('imageParts', () => {
  it('creates one scanned, immutable repository with an expiry rule, and a push policy on it alone', () => {
    const parts = imageParts(registry, names, '');
    const repository = parts.resources.ImageRepository as any;
    expect(repository.Properties).toMatchObject({ ImageScanningConfiguration: { ScanOnPush: true }, ImageTagMutability: 'IMMUTABLE' });
    const rules = JSON.parse(repository.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
    expect(rules.map((r: any) => r.selection.tagStatus)).toEqual(['untagged', 'any']);
    const push = (parts.resources.ImagePushPolicy as any).Properties.PolicyDocument.Statement;
    expect(push[1]).toMatchObject({
      Action: expect.arrayContaining(['ecr:PutImage', 'ecr:UploadLayerPart']),
      Resource: { 'Fn::GetAtt': ['ImageRepository', 'Arn'] },
    });
    expect(Object.keys(parts.outputs)).toEqual(['ImageRepositoryUri', 'ImagePushPolicyArn']);
  });

  it('pins a built image to the digest the deploy passes, and uses a given URI as it is', () => {
    const parts = imageParts(registry, names, `built=${DIGEST}`);
    expect(parts.imageOf('built', { build: { context: '.' } })).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': ['ImageRepository', 'RepositoryUri'] }, '@', DIGEST]],
    });
    expect(parts.imageOf('given', 'example.com/given:1')).toBe('example.com/given:1');
    expect(parts.unbuilt).toEqual([]);
  });

  it('points an image not built yet at a tag that says so, and reports it', () => {
    const parts = imageParts(registry, names, FIRST_DEPLOY);
    expect(parts.imageOf('built', { build: { context: '.' } })).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': ['ImageRepository', 'RepositoryUri'] }, ':', 'built.not-built']],
    });
    expect(parts.unbuilt).toEqual(['built']);
  });

  it('creates no repository when every image is given as a URI', () => {
    const onlyGiven = parseRegistry(
      JSON.stringify({
        pipelines: { given: { schedule: { expression: 'rate(1 hour)' }, task: { ...task, image: 'example.com/given:1' } } },
      }),
    );
    expect(imageParts(onlyGiven, names, '').resources).toEqual({});
  });

  it('refuses digests it cannot use, naming them', () => {
    expect(() => parseImageDigests('built=latest')).toThrow(StackGenerationError);
    expect(() => parseImageDigests('built=latest')).toThrow('param images: "built=latest" is not <task definition>=sha256:<64 hex digits>');
    expect(() => imageParts(registry, names, `other=${DIGEST}`)).toThrow(
      'param images names other, but no task definition of pipelines.yml builds an image by that name (built: built)',
    );
  });
});

describe('sls deploy with a built image and no digest', () => {
  const plugin = () => {
    const serverless = { classes: { Error }, getProvider: () => ({ getStage: () => 'dev' }) };
    return new StackPlugin(serverless, {}, { log: { warning: () => undefined } });
  };

  it('is refused before it deploys, pointing at npm run deploy', () => {
    const stack = plugin();
    expect(Object.keys(stack.hooks)).toContain('before:deploy:deploy');
    stack.generated = { unbuiltImages: ['sample-pipeline'], firstDeploy: false };
    expect(() => stack.hooks['before:deploy:deploy']!()).toThrow(
      'pipelines.yml builds the image of sample-pipeline (task.image.build) and this deploy has no digest for it: deploy with npm run deploy -- --stage dev, which builds and pushes the image first.',
    );
  });

  it('goes ahead on the first deploy npm run deploy makes, and when every image has its digest', () => {
    const first = plugin();
    first.generated = { unbuiltImages: ['sample-pipeline'], firstDeploy: true };
    expect(() => first.refuseUnbuiltImages()).not.toThrow();
    const built = plugin();
    built.generated = { unbuiltImages: [], firstDeploy: false };
    expect(() => built.refuseUnbuiltImages()).not.toThrow();
  });
});
