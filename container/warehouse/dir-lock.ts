/**
 * A cross-process lock on a directory: PGlite is a single-process database, and the shards
 * of one run are separate processes that may load at the same moment. `mkdir` is atomic,
 * so the process that creates the lock directory holds it; a lock whose owner died (its
 * pid is gone) is broken.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withDirLock<T>(lockDir: string, work: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // The lock sits beside the data folder, whose parent may not exist on a first run.
  await mkdir(dirname(lockDir), { recursive: true });
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''));
      if (owner > 0 && !alive(owner)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LockTimeoutError(`waited ${timeoutMs} ms for ${lockDir} (held by pid ${owner || 'unknown'})`);
      await sleep(wait);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
