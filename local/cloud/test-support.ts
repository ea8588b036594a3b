/**
 * A fresh local cloud for a test: free ports, its own scratch and warehouse folders, no
 * endpoints file, and the template's ECS services created at 0 tasks unless the test asks
 * for them (`runServices: true`): no background workers beside what a test exercises.
 * The packaged template is shared (cached under .local-cloud/package).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './project-root';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from './start';

export { projectRoot };

export async function freshLocalCloud(options: Partial<LocalCloudOptions> = {}): Promise<LocalCloud & { scratch: string }> {
  const scratch = mkdtempSync(join(tmpdir(), 'local-cloud-test-'));
  const cloud = await startLocalCloud({
    root: projectRoot,
    portBase: 0,
    workDir: scratch,
    warehouseDir: join(scratch, 'warehouse'),
    timing: { pollIntervalMs: 50, retryDelayMs: 50, asyncRetryDelayMs: 50 },
    runServices: false,
    ...options,
  });
  const stop = cloud.stop;
  return Object.assign(cloud, {
    scratch,
    stop: async () => {
      await stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  });
}

/** Polls until `check` returns a value (not undefined), or fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
