/**
 * The sample pipeline container's entry point (`node dist/task.js`): the worker library
 * frames the run (one task, or an activity pipeline's worker polling for shards when its task
 * definition sets ACTIVITY_ARN); the sample pipeline does the work against S3 and the
 * configured warehouse.
 */
import { runPipelineWorker } from '../worker';
import { createWarehouse } from '../warehouse';
import { sampleRedshiftDataClient, sampleS3Client } from './clients';
import { runSamplePipeline } from './run-sample';

void runPipelineWorker(async (ctx) => {
  const warehouse = createWarehouse(ctx.env, ctx.task.pipeline, { redshiftData: sampleRedshiftDataClient, s3: sampleS3Client });
  try {
    return await runSamplePipeline(ctx, { s3: sampleS3Client(), warehouse });
  } finally {
    await warehouse.close();
  }
});
