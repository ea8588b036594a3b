/**
 * Local worker processes standing in for the ECS service's tasks: start the container's
 * entry point as child processes, stop surplus ones with SIGTERM (they drain and exit),
 * and replace any that die.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { WorkerPool } from '../cloud/autoscaling/autoscaler';

export interface ProcessPoolOptions {
  /** The worker's script (a bundled container entry point). */
  script: string;
  env: NodeJS.ProcessEnv;
  /** Each stdout line of a worker (JSON logs and EMF). */
  onLine?: (line: string, worker: number) => void;
}

export class ProcessPool implements WorkerPool {
  private readonly workers = new Map<number, { child: ChildProcess; stopping: boolean }>();
  private nextId = 1;

  constructor(private readonly options: ProcessPoolOptions) {}

  running(): number {
    return [...this.workers.values()].filter((w) => !w.stopping).length;
  }

  async setDesired(count: number): Promise<void> {
    const active = [...this.workers.entries()].filter(([, w]) => !w.stopping);
    for (let i = active.length; i < count; i += 1) this.startOne();
    // Newest first: the oldest workers have warm connections.
    for (const [, worker] of active.slice(count).reverse()) {
      worker.stopping = true;
      worker.child.kill('SIGTERM');
    }
  }

  private startOne(): void {
    const id = this.nextId;
    this.nextId += 1;
    const child = spawn(process.execPath, [this.options.script], { env: this.options.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let index: number;
      while ((index = buffer.indexOf('\n')) >= 0) {
        this.options.onLine?.(buffer.slice(0, index), id);
        buffer = buffer.slice(index + 1);
      }
    });
    child.on('exit', () => this.workers.delete(id));
    this.workers.set(id, { child, stopping: false });
  }

  /** SIGTERM to every worker; resolves when all have exited. */
  async stopAll(): Promise<void> {
    const exits = [...this.workers.values()].map(
      (w) => new Promise<void>((resolve) => {
        if (w.child.exitCode !== null) return resolve();
        w.child.once('exit', () => resolve());
        w.child.kill('SIGTERM');
      }),
    );
    await Promise.all(exits);
  }
}
