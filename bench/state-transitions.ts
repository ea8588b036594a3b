/**
 * State transitions per run (Standard workflows are billed per transition): the real
 * statemachines/pipeline.asl.yml executed in aws-local-stepfunctions, with the two Lambda
 * steps running their real code and the AWS integrations answered by stubs, for 1 and 11
 * shards, `.sync` and callback, succeeding and with one shard failing. A transition is
 * counted per state entered, Map iterations included, as Step Functions bills them.
 *
 * Run: npm run bench:transitions
 */
import { join } from 'node:path';
import { countTransitions } from '../tests/helpers/count-transitions';

const transitions = (shards: number, launch: 'sync' | 'callback', failShard?: number) =>
  countTransitions(shards, launch, failShard, join(__dirname, '../statemachines/pipeline.asl.yml'));

async function main(): Promise<void> {
  console.log('| launch | shards | succeeded | one shard failed |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const launch of ['sync', 'callback'] as const) {
    for (const shards of [1, 11]) {
      console.log(`| ${launch} | ${shards} | ${await transitions(shards, launch)} | ${await transitions(shards, launch, 0)} |`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
