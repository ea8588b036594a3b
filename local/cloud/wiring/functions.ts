/**
 * The stack's Lambda functions, run in this process: each handler is bundled with esbuild
 * (the serverless-esbuild settings that matter: node target, YAML parsed at build time) and loaded in
 * its own worker thread whose process.env is the function's environment from the template,
 * resolved to local names, plus the SDK endpoint variables of the local cloud.
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { StackResolver } from '../intrinsics';
const esbuildPlugins = require('../../../scripts/esbuild-plugins.cjs') as {
  withRegistry: (file: string | undefined) => import('esbuild').Plugin[];
};

export interface FunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** `handlers/s3-upload-watcher.handler` */
  handler: string;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export class HandlerNotFoundError extends Error {
  override readonly name = 'HandlerNotFoundError';
}

export type Fault = { kind: 'crash-mid-batch'; afterRecords: number };

/** One line a function wrote to stdout or stderr. */
export interface FunctionLogLine {
  function: string;
  stream: 'stdout' | 'stderr';
  line: string;
  at: Date;
}

export interface InvocationRecord {
  function: string;
  requestId: string;
  startedAt: number;
  durationMs: number;
  event: unknown;
  result?: unknown;
  error?: { name: string; message: string };
}

/** Reads the functions of the template with their resolved environments. */
export function functionSpecs(resolver: StackResolver): FunctionSpec[] {
  return resolver.resources('AWS::Lambda::Function').map(([logicalId, resource]) => {
    const props = resolver.resolve(resource.Properties ?? {}, logicalId) as {
      Handler: string;
      Timeout?: number;
      Environment?: { Variables?: Record<string, unknown> };
    };
    const physical = resolver.physicalOf(logicalId);
    const environment = Object.fromEntries(
      Object.entries(props.Environment?.Variables ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
    return {
      logicalId,
      name: physical.ref,
      arn: physical.attributes.Arn!,
      handler: props.Handler,
      timeoutSeconds: props.Timeout ?? 6,
      environment,
    };
  });
}

/** Bundles a handler file (`handlers/x.handler` → handlers/x.ts) into a CommonJS file under outDir. */
async function bundleHandler(
  root: string,
  spec: FunctionSpec,
  outDir: string,
  registryFile?: string,
): Promise<{ bundle: string; exportName: string }> {
  const dot = spec.handler.lastIndexOf('.');
  const modulePath = spec.handler.slice(0, dot);
  const exportName = spec.handler.slice(dot + 1);
  const source = ['.ts', '.mts', '.js', '.mjs', '.cjs'].map((ext) => join(root, modulePath + ext)).find((file) => existsSync(file));
  if (!source)
    throw new HandlerNotFoundError(
      `function ${spec.name}: handler file ${modulePath}.ts (or .js) does not exist (serverless.yml says handler: ${spec.handler})`,
    );
  const bundle = join(outDir, `${spec.logicalId}.cjs`);
  await build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    sourcemap: 'inline',
    // Dependencies load from node_modules: start-up stays fast and the versions are the tested ones.
    packages: 'external',
    // The registry the stack was packaged from: pipelines.yml, or the cloud's own file.
    plugins: esbuildPlugins.withRegistry(registryFile),
    logLevel: 'silent',
  });
  return { bundle, exportName };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One function: its worker, invoked one event at a time in order of arrival (like one Lambda instance). */
export class LocalFunction {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private faults: Fault[] = [];

  constructor(
    readonly spec: FunctionSpec,
    private readonly code: { bundle: string; exportName: string },
    private readonly env: Record<string, string>,
    private readonly log: WriteStream,
    private readonly events: EventEmitter,
    private readonly bootstrap: string,
  ) {}

  private start(): Worker {
    const worker = new Worker(this.bootstrap, {
      env: this.env,
      workerData: { bundle: this.code.bundle, exportName: this.code.exportName, handler: this.spec.handler },
      stdout: true,
      stderr: true,
    });
    worker.stdout.pipe(this.log, { end: false });
    worker.stderr.pipe(this.log, { end: false });
    // Each line also goes to listeners: EMF metrics, the console's logs and `npm run logs`.
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: worker[stream] }).on('line', (line) =>
        this.events.emit('log', { function: this.spec.logicalId, stream, line, at: new Date() } satisfies FunctionLogLine),
      );
    }
    worker.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: { name: string; message: string } }) => {
      if (message.id === 0 && !message.ok) {
        // The module failed to load (init error): every pending and future call fails with it.
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new FunctionError(this.spec.name, message.error!.name, message.error!.message));
          this.pending.delete(id);
        }
        this.worker = undefined;
        void worker.terminate();
        return;
      }
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.ok) p.resolve(message.result);
      else p.reject(new FunctionError(this.spec.name, message.error!.name, message.error!.message));
    });
    worker.on('error', (error) => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new FunctionError(this.spec.name, 'Runtime.ExitError', error.message));
        this.pending.delete(id);
      }
      this.worker = undefined;
    });
    worker.unref();
    return worker;
  }

  /** Makes the next invocations misbehave (tests and fault drills). */
  injectFault(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Warms the worker so the first event does not pay for module loading. */
  warm(): void {
    this.worker ??= this.start();
  }

  /** Synchronous invoke (RequestResponse): resolves with the handler's result, rejects with FunctionError. */
  invoke(event: unknown): Promise<unknown> {
    const run = this.queue.then(() => this.invokeNow(event));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private invokeNow(event: unknown): Promise<unknown> {
    const worker = (this.worker ??= this.start());
    worker.ref();
    const id = this.nextId++;
    const requestId = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const startedAt = Date.now();
    const fault = this.faults.shift();
    this.events.emit('invoke', { function: this.spec.logicalId, requestId, event });
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // Lambda kills a timed-out instance; the next event gets a fresh one.
        void worker.terminate();
        this.worker = undefined;
        reject(new FunctionError(this.spec.name, 'Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds} seconds`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({
        id,
        event,
        fault,
        context: {
          functionName: this.spec.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: this.spec.arn,
          memoryLimitInMB: '256',
          awsRequestId: requestId,
          logGroupName: `/aws/lambda/${this.spec.name}`,
          logStreamName: `local/${this.spec.logicalId}`,
          timeoutMs,
        },
      });
    }).then(
      (result) => {
        this.done(worker);
        const record: InvocationRecord = {
          function: this.spec.logicalId,
          requestId,
          startedAt,
          durationMs: Date.now() - startedAt,
          event,
          result,
        };
        this.events.emit('result', record);
        return result;
      },
      (error: FunctionError) => {
        this.done(worker);
        const record: InvocationRecord = {
          function: this.spec.logicalId,
          requestId,
          startedAt,
          durationMs: Date.now() - startedAt,
          event,
          error: { name: error.errorType, message: error.message },
        };
        this.events.emit('result', record);
        throw error;
      },
    );
  }

  private done(worker: Worker): void {
    // An idle worker must not keep the process alive (tests, `npm run demo` exiting).
    if (this.pending.size === 0) worker.unref();
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

export interface FunctionRuntime {
  functions: Map<string, LocalFunction>;
  /** Finds a function by logical id, name or ARN (what event sources and targets name). */
  find(ref: string): LocalFunction | undefined;
  events: EventEmitter;
  stop(): Promise<void>;
}

export async function startFunctions(options: {
  root: string;
  workDir: string;
  specs: FunctionSpec[];
  endpointEnv: Record<string, string>;
  /** The registry the functions bundle instead of pipelines.yml (the cloud's pipelinesFile). */
  registryFile?: string;
}): Promise<FunctionRuntime> {
  // Bundles live under the project so their external packages resolve from its node_modules.
  const buildDir = join(options.root, '.local-cloud', 'functions', `${process.pid}-${randomUUID().slice(0, 8)}`);
  const logDir = join(options.workDir, 'logs');
  mkdirSync(buildDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const events = new EventEmitter();
  const functions = new Map<string, LocalFunction>();
  const logs: WriteStream[] = [];
  await Promise.all(
    options.specs.map(async (spec) => {
      const code = await bundleHandler(options.root, spec, buildDir, options.registryFile);
      const log = createWriteStream(join(logDir, `${spec.logicalId}.log`), { flags: 'a' });
      logs.push(log);
      const env = {
        PATH: process.env.PATH ?? '',
        ...spec.environment,
        ...options.endpointEnv,
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: options.root,
      };
      functions.set(
        spec.logicalId,
        new LocalFunction(spec, code, env, log, events, join(options.root, 'local', 'cloud', 'wiring', 'worker-bootstrap.cjs')),
      );
    }),
  );
  for (const fn of functions.values()) fn.warm();
  return {
    functions,
    events,
    find(ref) {
      for (const fn of functions.values()) {
        if (fn.spec.logicalId === ref || fn.spec.name === ref || fn.spec.arn === ref || ref.startsWith(`${fn.spec.arn}:`)) return fn;
      }
      return undefined;
    },
    async stop() {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
      for (const log of logs) log.end();
      rmSync(buildDir, { recursive: true, force: true });
    },
  };
}
