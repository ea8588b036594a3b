import { parseRegistry } from '../../../lib/registry/parse-registry';
import { registryProblems, minimalPipeline } from '../../helpers/registry';

/** A registry with one queue service whose targetUpdate is `targetUpdate`. */
function registry(targetUpdate: Record<string, unknown>): string {
  return JSON.stringify({
    pipelines: {
      demo: minimalPipeline(),
    },
    queueServices: {
      thumbnails: {
        queue: { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 },
        task: { container: 'worker', cpu: 256, memory: 512 },
        acceptableLatencySeconds: 120,
        maxTasks: 10,
        targetUpdate,
      },
    },
  });
}

const problemsOf = registryProblems;

describe('queueServices.<name>.targetUpdate.headroom', () => {
  it('is accepted as a fraction in (0, 1]', () => {
    for (const headroom of [0.25, 1]) {
      const service = parseRegistry(registry({ headroom })).queueServices!.thumbnails!;
      expect(service.targetUpdate.headroom).toBe(headroom);
    }
  });

  it('stays absent when not set, so the updater applies the one default in the target math', () => {
    const service = parseRegistry(registry({})).queueServices!.thumbnails!;
    expect(service.targetUpdate.headroom).toBeUndefined();
  });

  it.each([0, -0.5, 1.5])('rejects %p with a message naming the field', (headroom) => {
    const problems = problemsOf(registry({ headroom }));
    expect(problems.join('\n')).toMatch(/targetUpdate\.headroom.*headroom is a fraction greater than 0 and at most 1/);
  });
});
