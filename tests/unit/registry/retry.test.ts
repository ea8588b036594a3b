/** pipelines.yml task.retry: retries by failure class, their defaults and their validation. */
import { DEFAULT_RETRY } from '../../../lib/contracts/retry';
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { registryProblems } from '../../helpers/registry';

function registryWith(retry: unknown, task: Record<string, unknown> = {}): string {
  return JSON.stringify({
    pipelines: {
      demo: {
        trigger: { files: { orders: 'in/orders-{date}.csv' }, windowMinutes: 60 },
        task: {
          container: 'app',
          image: 'example.com/app:1',
          cpu: 256,
          memory: 512,
          launch: 'sync',
          timeoutSeconds: 600,
          ...(retry === undefined ? {} : { retry }),
          ...task,
        },
      },
    },
  });
}

describe('task.retry', () => {
  it('gives every class its default when a pipeline says nothing', () => {
    const { task } = parseRegistry(registryWith(undefined)).pipelines.demo!;
    expect(task.retry).toEqual({
      capacity: { attempts: 4, intervalSeconds: 30, backoff: 2 },
      spotInterruption: { attempts: 2, fallbackToOnDemand: true },
      imagePull: { attempts: 2, intervalSeconds: 30, backoff: 2 },
      containerError: { attempts: 0, intervalSeconds: 30, backoff: 2 },
    });
    expect(task.retry).toEqual(DEFAULT_RETRY);
  });

  it('fills in what a class leaves out, and keeps what it says', () => {
    const { task } = parseRegistry(
      registryWith({ capacity: { attempts: 1 }, spotInterruption: { fallbackToOnDemand: false }, containerError: { attempts: 2 } }),
    ).pipelines.demo!;
    expect(task.retry).toEqual({
      capacity: { attempts: 1, intervalSeconds: 30, backoff: 2 },
      spotInterruption: { attempts: 2, fallbackToOnDemand: false },
      imagePull: DEFAULT_RETRY.imagePull,
      containerError: { attempts: 2, intervalSeconds: 30, backoff: 2 },
    });
  });

  it.each([
    [{ capacity: { attempts: 6 } }, 'field task.retry.capacity.attempts: attempts must be 0..5 (tries after the first)'],
    [{ imagePull: { intervalSeconds: 0 } }, 'field task.retry.imagePull.intervalSeconds: intervalSeconds must be 1..3600'],
    [{ containerError: { backoff: 0.5 } }, 'field task.retry.containerError.backoff: backoff must be 1..10'],
    [{ spotInterruption: { fallbackToOnDemand: 'yes' } }, 'field task.retry.spotInterruption.fallbackToOnDemand'],
    [{ timeout: { attempts: 1 } }, 'field task.retry'],
    [{ spotInterruption: { intervalSeconds: 10 } }, 'field task.retry.spotInterruption'],
  ])('rejects %j, naming the pipeline and the field', (retry, message) => {
    const problems = registryProblems(registryWith(retry)).join('\n');
    expect(problems).toContain('pipeline "demo"');
    expect(problems).toContain(message);
  });
});
