// Resolves `${file(scripts/registry.cjs):...}` in serverless.yml: validates pipelines.yml
// with the same zod schema the functions use at cold start (bundled on the fly by esbuild,
// so packaging needs no separate build step), and derives function events from it.
// A bad registry fails `sls package` here, naming the pipeline and the field.
const path = require('node:path');
const fs = require('node:fs');
const Module = require('node:module');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const loaded = new Map();

/** A TypeScript module of lib/, bundled in memory and loaded (once per packaging). */
function loadTsModule(relativePath) {
  if (loaded.has(relativePath)) return loaded.get(relativePath);
  const result = esbuild.buildSync({
    entryPoints: [path.join(root, relativePath)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const mod = new Module(path.join(root, `${relativePath}.bundle.cjs`));
  mod.paths = Module._nodeModulePaths(root);
  mod._compile(result.outputFiles[0].text, mod.id);
  loaded.set(relativePath, mod.exports);
  return mod.exports;
}

const loadRegistryModule = () => loadTsModule('lib/registry/parse-registry.ts');

function loadRegistry(file = process.env.PIPELINES_FILE || path.join(root, 'pipelines.yml')) {
  const { parseRegistry, indexRegistry } = loadRegistryModule();
  const text = fs.readFileSync(file, 'utf8');
  try {
    return indexRegistry(parseRegistry(text, path.relative(root, file) || file));
  } catch (error) {
    if (error && error.name === 'RegistryError') {
      // Serverless prints the message of what a resolver throws.
      throw new Error(error.message);
    }
    throw error;
  }
}

/** Schedule events for start-pipeline: one per pipeline that declares a schedule. */
function scheduleEvents(index) {
  return Object.entries(index.registry.pipelines)
    .filter(([, p]) => p.schedule)
    .map(([name, p]) => ({
      schedule: {
        name: `\${self:service}-\${sls:stage}-${name}`.slice(0, 64),
        description: `Scheduled run of pipeline ${name}`,
        rate: [p.schedule.expression],
        enabled: p.schedule.enabled,
        // The event's own time names the run: Lambda's async retries of one firing then
        // reuse the run key instead of starting a second scheduled run.
        inputTransformer: {
          inputPathsMap: { time: '$.time' },
          inputTemplate: `{"pipeline":"${name}","trigger":"schedule","time":<time>}`,
        },
      },
    }));
}

/** The uploads bucket's name: the stack's own, or the existing one named by a param. */
const stackBucket = {
  'Fn::If': ['CreateUploadsBucket', { 'Fn::Sub': '${AWS::StackName}-uploads-${AWS::AccountId}-${AWS::Region}' }, '${param:existingBucketName}'],
};

/**
 * Per task definition: the S3 object ARNs its containers may read, from the prefixes of
 * the pipelines that run it (so the task role tracks pipelines.yml by itself).
 */
function taskReadResources(index) {
  const byTask = {};
  for (const [, pipeline] of Object.entries(index.registry.pipelines)) {
    if (!pipeline.trigger) continue;
    const prefixes = pipeline.trigger.prefix !== undefined
      ? [pipeline.trigger.prefix]
      : Object.values(pipeline.trigger.files).map((pattern) => pattern.split('{')[0]);
    const list = (byTask[pipeline.task.taskDefinition] ??= []);
    for (const prefix of new Set(prefixes)) {
      list.push({
        'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}/${prefix}*`, { Bucket: pipeline.trigger.bucket ?? stackBucket }],
      });
    }
  }
  return byTask;
}

/** Per task definition: where its containers write rejects and warehouse staging files. */
function taskWriteResources(index) {
  const byTask = {};
  for (const [name, pipeline] of Object.entries(index.registry.pipelines)) {
    const list = (byTask[pipeline.task.taskDefinition] ??= []);
    for (const area of ['rejects', 'staging']) {
      list.push({
        'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}/${area}/${name}/*`, { Bucket: pipeline.trigger?.bucket ?? stackBucket }],
      });
    }
  }
  return byTask;
}

module.exports = async ({ resolveVariable }) => {
  const index = loadRegistry();
  const existingBucket = await resolveVariable('param:existingBucketName, ""');
  const prefixes = index.prefixes();
  const ownPrefixes = prefixes.filter((p) => p.bucket === undefined).map((p) => p.prefix);
  const externalBuckets = [...new Set(prefixes.filter((p) => p.bucket !== undefined).map((p) => p.bucket))];
  const eventBuckets = [...new Set([existingBucket, ...externalBuckets].filter(Boolean))];
  const eventPrefixes = existingBucket ? prefixes.map((p) => p.prefix) : prefixes.filter((p) => p.bucket).map((p) => p.prefix);
  return {
    taskReadResources: taskReadResources(index),
    taskWriteResources: taskWriteResources(index),
    pipelineNames: index.names,
    scheduleEvents: scheduleEvents(index),
    hasExternalBuckets: String(externalBuckets.length > 0),
    // One S3 notification per watched prefix of the stack's own bucket.
    uploadNotifications: ownPrefixes.map((prefix) => ({
      Event: 's3:ObjectCreated:*',
      ...(prefix ? { Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: prefix }] } } } : {}),
      Function: { 'Fn::GetAtt': ['S3UploadWatcherLambdaFunction', 'Arn'] },
    })),
    uploadEventPattern: {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: eventBuckets.length ? eventBuckets : ['-'] },
        object: { key: eventPrefixes.map((prefix) => ({ prefix })) },
      },
    },
    // Queue services: their resources, function events and QUEUE_SERVICES (stack/queue-services.ts).
    queueServices: queueServiceExports(index),
    // Alarms and dashboard (stack/alarms.ts): per pipeline, function and DLQ.
    observability: await observabilityExports(index, resolveVariable),
  };
};
module.exports.loadRegistry = loadRegistry;
module.exports.loadRegistryModule = loadRegistryModule;

// Queue services (declared after the exports; function declarations are hoisted).
function queueServiceExports(index) {
  const mod = { exports: loadTsModule('stack/queue-services.ts') };
  return mod.exports.queueServiceParts(index.registry.queueServices, mod.exports.STACK_SHARED_REFS);
}

// Alarms and the dashboard, from the registry, the functions serverless.yml includes and the
// dead-letter queues of the resource files it includes (declared after the exports).
async function observabilityExports(index, resolveVariable) {
  const mod = { exports: loadTsModule('stack/alarms.ts') };
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const config = fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8');
  const included = (folder) => [...config.matchAll(new RegExp(`\\$\\{file\\((${folder}/[\\w.-]+\\.yml)\\)\\}`, 'g'))].map((m) => m[1]);
  const functions = included('functions').flatMap((file) =>
    [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/^([A-Za-z][\w-]*):/gm)].map((m) => m[1]),
  );
  const deadLetterQueues = included('resources').flatMap((file) =>
    [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/^ {2}(\w*DeadLetter\w*):\s*\n\s+Type: AWS::SQS::Queue[ \t]*$/gm)].map((m) => m[1]),
  );
  for (const [id, resource] of Object.entries(queueServiceExports(index).resources)) {
    if (resource.Type === 'AWS::SQS::Queue' && id.includes('DeadLetter')) deadLetterQueues.push(id);
  }
  const sources = { stack: `${service}-${stage}`, service, stage, registry: index.registry, functions, deadLetterQueues };
  return { alarms: mod.exports.alarmResources(sources), dashboardBody: mod.exports.dashboardBody(sources) };
}
