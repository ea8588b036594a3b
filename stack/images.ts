/**
 * Images the stack builds (pipelines.yml `task.image: { build: … }`): one ECR repository per
 * stack (scan on push, immutable tags, old images expire), a managed policy that may push to
 * it (for whoever deploys; the tasks' execution roles may only pull), and the image reference
 * each task definition runs: the repository at the digest `npm run deploy` built and pushed
 * (param `images`, `<task definition>=sha256:<digest>,…`). Images given as URIs are used as given.
 */
import { isBuiltImage, type TaskImage } from '../lib/registry/container';
import type { Registry } from '../lib/registry/schema';
import { taskDefinitionGroups } from './pipeline-tasks';
import { StackGenerationError, type Cfn } from './template';

export const IMAGE_REPOSITORY_ID = 'ImageRepository';
export const IMAGE_PUSH_POLICY_ID = 'ImagePushPolicy';
/** `--param images=first-deploy`: deploy before any image is built (the repository does not exist yet). */
export const FIRST_DEPLOY = 'first-deploy';
/** How many images the repository keeps; older ones expire (task definitions pin digests). */
export const KEPT_IMAGES = 50;

const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** param `images`: task definition name → digest. '' and first-deploy give none. */
export function parseImageDigests(value: string): Record<string, string> {
  const text = value.trim();
  if (text === '' || text === FIRST_DEPLOY) return {};
  const digests: Record<string, string> = {};
  for (const entry of text.split(',')) {
    const [name, digest] = entry.split('=').map((part) => part.trim());
    if (!name || !digest || !DIGEST.test(digest)) {
      throw new StackGenerationError(`param images: "${entry}" is not <task definition>=sha256:<64 hex digits> (npm run deploy passes it)`);
    }
    digests[name] = digest;
  }
  return digests;
}

/** The task definitions whose image the stack builds, in registry order. */
export function builtTaskDefinitions(registry: Registry, service: string, stage: string): Array<{ name: string; image: TaskImage }> {
  return taskDefinitionGroups(registry, service, stage).flatMap((group) => {
    const image = group.pipelines[0]![1].task.image;
    return isBuiltImage(image) ? [{ name: group.name, image }] : [];
  });
}

/** The tag a task definition's image has before its first build: runs fail to pull it, visibly. */
export const unbuiltTag = (name: string) => `${name}.not-built`;

export interface ImageParts {
  resources: Record<string, Cfn>;
  outputs: Record<string, Cfn>;
  /** The image a task definition's container runs. */
  imageOf: (taskDefinition: string, image: TaskImage) => unknown;
  /** Built images that have no digest yet (before the first `npm run deploy`). */
  unbuilt: string[];
}

export function imageParts(registry: Registry, names: { service: string; stage: string }, imagesParam: string): ImageParts {
  const built = builtTaskDefinitions(registry, names.service, names.stage);
  const digests = parseImageDigests(imagesParam);
  const unknown = Object.keys(digests).filter((name) => !built.some((b) => b.name === name));
  if (unknown.length) {
    throw new StackGenerationError(
      `param images names ${unknown.join(', ')}, but no task definition of pipelines.yml builds an image by that name (built: ${built.map((b) => b.name).join(', ') || 'none'})`,
    );
  }
  const repositoryUri = getAtt(IMAGE_REPOSITORY_ID, 'RepositoryUri');
  const imageOf = (name: string, image: TaskImage): unknown => {
    if (!isBuiltImage(image)) return image;
    const digest = digests[name];
    return { 'Fn::Join': ['', digest ? [repositoryUri, '@', digest] : [repositoryUri, ':', unbuiltTag(name)]] };
  };
  const unbuilt = built.filter((b) => !digests[b.name]).map((b) => b.name);
  if (built.length === 0) return { resources: {}, outputs: {}, imageOf, unbuilt };

  const repositoryArn = getAtt(IMAGE_REPOSITORY_ID, 'Arn');
  return {
    resources: {
      [IMAGE_REPOSITORY_ID]: {
        Type: 'AWS::ECR::Repository',
        Properties: {
          ImageScanningConfiguration: { ScanOnPush: true },
          // A tag names one image forever: every build pushes a tag of its own.
          ImageTagMutability: 'IMMUTABLE',
          EncryptionConfiguration: { EncryptionType: 'AES256' },
          LifecyclePolicy: {
            LifecyclePolicyText: JSON.stringify({
              rules: [
                {
                  rulePriority: 1,
                  description: 'Untagged layers of interrupted pushes',
                  selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
                  action: { type: 'expire' },
                },
                {
                  rulePriority: 2,
                  description: `Keep the ${KEPT_IMAGES} newest images`,
                  selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: KEPT_IMAGES },
                  action: { type: 'expire' },
                },
              ],
            }),
          },
          Tags: [
            { Key: 'service', Value: names.service },
            { Key: 'stage', Value: names.stage },
          ],
        },
      },
      // Attach to the role or user that runs `npm run deploy`: push to this repository only.
      [IMAGE_PUSH_POLICY_ID]: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Description: `Push the images of ${names.service} ${names.stage} (npm run deploy)`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              // GetAuthorizationToken has no resource-level permissions.
              { Sid: 'AuthenticateToEcr', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
              {
                Sid: 'PushImages',
                Effect: 'Allow',
                Action: [
                  'ecr:BatchCheckLayerAvailability',
                  'ecr:InitiateLayerUpload',
                  'ecr:UploadLayerPart',
                  'ecr:CompleteLayerUpload',
                  'ecr:PutImage',
                  'ecr:BatchGetImage',
                ],
                Resource: repositoryArn,
              },
            ],
          },
        },
      },
    },
    outputs: {
      ImageRepositoryUri: { Description: 'Where npm run deploy pushes the built pipeline images.', Value: repositoryUri },
      ImagePushPolicyArn: {
        Description: 'Attach to whoever runs npm run deploy: push to the image repository only.',
        Value: { Ref: IMAGE_PUSH_POLICY_ID },
      },
    },
    imageOf,
    unbuilt,
  };
}
