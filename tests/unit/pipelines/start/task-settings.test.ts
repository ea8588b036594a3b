/**
 * A run's task settings come from the pipeline's registry entry: its own task definition
 * family unless it names a shared one, and the capacity provider and placement RunTask uses.
 */
import { parseRegistry } from '../../../../lib/registry/parse-registry';
import { resolveTaskSettings } from '../../../../lib/pipelines/start/task-settings';
import { DEFAULT_RETRY } from '../../../../lib/contracts/retry';
import { RunTaskSettingsSchema } from '../../../../lib/contracts/messages';

const task = { container: 'app', image: 'example.com/app:1', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600 };
const registry = parseRegistry(
  JSON.stringify({
    pipelines: {
      plain: { schedule: { expression: 'rate(1 hour)' }, task },
      spot: {
        schedule: { expression: 'rate(1 hour)' },
        task: {
          ...task,
          taskDefinition: 'shared',
          capacity: 'fargate-spot',
          retry: { spotInterruption: { attempts: 1 }, imagePull: { attempts: 0 } },
        },
      },
      placed: {
        schedule: { expression: 'rate(1 hour)' },
        task: {
          ...task,
          architecture: 'ARM64',
          capacity: 'ec2',
          placement: { constraints: [{ type: 'distinctInstance' }], strategy: [{ type: 'binpack', field: 'memory' }] },
        },
      },
    },
    capacity: { ec2: { instanceType: 'r7g.large', architecture: 'ARM64', maxInstances: 2 } },
  }),
);
const stack = { service: 'ecs-pipelines', stage: 'dev' };
const settingsOf = (name: string) => resolveTaskSettings(name, registry.pipelines[name]!, stack).task;

describe('resolveTaskSettings', () => {
  it("runs a pipeline's own task definition on Fargate unless it says otherwise", () => {
    expect(settingsOf('plain')).toMatchObject({
      taskDefinition: 'ecs-pipelines-dev-plain',
      capacity: 'fargate',
      capacityProvider: 'FARGATE',
    });
    expect(settingsOf('plain')).not.toHaveProperty('placement');
  });

  it('runs the task definition a pipeline names, on Fargate Spot when asked', () => {
    expect(settingsOf('spot')).toMatchObject({
      taskDefinition: 'ecs-pipelines-dev-shared',
      capacity: 'fargate-spot',
      capacityProvider: 'FARGATE_SPOT',
    });
  });

  it("names the stack's EC2 capacity provider and carries the placement for EC2 pipelines", () => {
    expect(settingsOf('placed')).toMatchObject({
      capacity: 'ec2',
      // ECS refuses capacity provider names starting with "ecs", as the service name does.
      capacityProvider: 'ec2-ecs-pipelines-dev',
      placement: { constraints: [{ type: 'distinctInstance' }], strategy: [{ type: 'binpack', field: 'memory' }] },
    });
  });

  it('carries task.retry into the execution input, defaults filled in, and passes the execution input schema', () => {
    expect(settingsOf('plain').retry).toEqual(DEFAULT_RETRY);
    expect(settingsOf('spot').retry).toEqual({
      ...DEFAULT_RETRY,
      spotInterruption: { attempts: 1, fallbackToOnDemand: true },
      imagePull: { ...DEFAULT_RETRY.imagePull, attempts: 0 },
    });
    expect(RunTaskSettingsSchema.safeParse(settingsOf('spot')).success).toBe(true);
  });
});
