/**
 * The local Step Functions over HTTP (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Op>`), so
 * @aws-sdk/client-sfn, the AWS CLI and the worker library work against it with an endpoint URL.
 */
import * as z from 'zod';
import { AwsApiError, startAwsJsonServer, requestParser } from '../aws-json-server';
import { LocalStepFunctions, type ExecutionRecord, type HistoryEvent, type LocalStepFunctionsOptions } from './local-sfn';

const seconds = (d: Date | undefined): number | undefined => (d ? d.getTime() / 1000 : undefined);

const parse = requestParser('ValidationException');

const Requests = {
  CreateStateMachine: z.object({
    name: z.string(),
    definition: z.string(),
    roleArn: z.string().optional(),
    type: z.enum(['STANDARD']).optional(),
  }),
  DescribeStateMachine: z.object({ stateMachineArn: z.string() }),
  StartExecution: z.object({ stateMachineArn: z.string(), name: z.string().optional(), input: z.string().optional() }),
  DescribeExecution: z.object({ executionArn: z.string() }),
  ListExecutions: z.object({
    stateMachineArn: z.string().optional(),
    statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']).optional(),
    maxResults: z.number().int().min(0).max(1000).optional(),
    nextToken: z.string().optional(),
  }),
  GetExecutionHistory: z.object({
    executionArn: z.string(),
    maxResults: z.number().int().min(0).max(1000).optional(),
    nextToken: z.string().optional(),
    reverseOrder: z.boolean().optional(),
    includeExecutionData: z.boolean().optional(),
  }),
  StopExecution: z.object({ executionArn: z.string(), error: z.string().optional(), cause: z.string().optional() }),
  RedriveExecution: z.object({ executionArn: z.string(), clientToken: z.string().optional() }),
  SendTaskSuccess: z.object({ taskToken: z.string(), output: z.string() }),
  SendTaskFailure: z.object({ taskToken: z.string(), error: z.string().optional(), cause: z.string().optional() }),
  SendTaskHeartbeat: z.object({ taskToken: z.string() }),
  CreateActivity: z.object({ name: z.string() }),
  DescribeActivity: z.object({ activityArn: z.string() }),
  GetActivityTask: z.object({ activityArn: z.string().min(1).max(256), workerName: z.string().max(80).optional() }),
};

/** Offset pagination: nextToken is the index of the next item. */
const page = <T>(items: T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } => {
  const start = nextToken ? Number(nextToken) : 0;
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new AwsApiError('InvalidToken', `Invalid nextToken: ${nextToken}`);
  const size = maxResults && maxResults > 0 ? maxResults : 1000;
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, nextToken: String(start + size) } : { items: slice };
};

const executionListItem = (r: ExecutionRecord) => ({
  executionArn: r.executionArn,
  stateMachineArn: r.stateMachineArn,
  name: r.name,
  status: r.status,
  startDate: seconds(r.startDate),
  stopDate: seconds(r.stopDate),
  redriveCount: r.redriveCount,
  ...(r.redriveDate ? { redriveDate: seconds(r.redriveDate) } : {}),
});

/** The AWS wire shape: local-only fields dropped, timestamps as epoch seconds. */
const wireEvent = ({ stateName: _s, iterationIndex: _i, timestamp, ...rest }: HistoryEvent) => ({ ...rest, timestamp: seconds(timestamp) });

export interface LocalStepFunctionsServerOptions extends LocalStepFunctionsOptions {
  host?: string;
  port?: number;
}

export interface LocalStepFunctionsServer {
  endpoint: string;
  sfn: LocalStepFunctions;
  stop(): Promise<void>;
}

/** Starts the local Step Functions and its HTTP API on 127.0.0.1 (port 0: a free port). */
export async function startLocalStepFunctions(options: LocalStepFunctionsServerOptions = {}): Promise<LocalStepFunctionsServer> {
  const sfn = new LocalStepFunctions(options);
  const server = await startAwsJsonServer({
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    operations: {
      CreateStateMachine: (input) => {
        const req = parse(Requests.CreateStateMachine, input, 'CreateStateMachine');
        const m = sfn.createStateMachine(
          req.roleArn !== undefined
            ? { name: req.name, definition: req.definition, roleArn: req.roleArn }
            : { name: req.name, definition: req.definition },
        );
        return { stateMachineArn: m.stateMachineArn, creationDate: seconds(m.creationDate) };
      },
      DescribeStateMachine: (input) => {
        const m = sfn.describeStateMachine(parse(Requests.DescribeStateMachine, input, 'DescribeStateMachine').stateMachineArn);
        return {
          stateMachineArn: m.stateMachineArn,
          name: m.name,
          status: 'ACTIVE',
          definition: m.definition,
          roleArn: m.roleArn,
          type: m.type,
          creationDate: seconds(m.creationDate),
        };
      },
      ListStateMachines: () => ({
        stateMachines: sfn
          .listStateMachines()
          .map((m) => ({ stateMachineArn: m.stateMachineArn, name: m.name, type: m.type, creationDate: seconds(m.creationDate) })),
      }),
      StartExecution: async (input) => {
        const req = parse(Requests.StartExecution, input, 'StartExecution');
        const out = await sfn.startExecution(req);
        return { executionArn: out.executionArn, startDate: seconds(out.startDate) };
      },
      DescribeExecution: (input) => {
        const r = sfn.describeExecution(parse(Requests.DescribeExecution, input, 'DescribeExecution').executionArn);
        return {
          ...executionListItem(r),
          input: r.input,
          inputDetails: { included: true },
          ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
          ...(r.error !== undefined ? { error: r.error } : {}),
          ...(r.cause !== undefined ? { cause: r.cause } : {}),
          redriveStatus: r.status === 'RUNNING' || r.status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
          ...(r.status === 'RUNNING' || r.status === 'SUCCEEDED'
            ? { redriveStatusReason: `Execution is ${r.status} and cannot be redriven.` }
            : {}),
        };
      },
      ListExecutions: (input) => {
        const req = parse(Requests.ListExecutions, input, 'ListExecutions');
        const all = sfn.listExecutions({
          ...(req.stateMachineArn ? { stateMachineArn: req.stateMachineArn } : {}),
          ...(req.statusFilter ? { statusFilter: req.statusFilter } : {}),
        });
        const { items, nextToken } = page(all, req.maxResults, req.nextToken);
        return { executions: items.map(executionListItem), ...(nextToken ? { nextToken } : {}) };
      },
      GetExecutionHistory: (input) => {
        const req = parse(Requests.GetExecutionHistory, input, 'GetExecutionHistory');
        const events = [...sfn.getExecutionHistory(req.executionArn)];
        if (req.reverseOrder) events.reverse();
        const { items, nextToken } = page(events, req.maxResults, req.nextToken);
        return { events: items.map(wireEvent), ...(nextToken ? { nextToken } : {}) };
      },
      StopExecution: (input) => {
        const req = parse(Requests.StopExecution, input, 'StopExecution');
        return { stopDate: seconds(sfn.stopExecution(req.executionArn, req.error, req.cause).stopDate) };
      },
      RedriveExecution: async (input) => {
        const req = parse(Requests.RedriveExecution, input, 'RedriveExecution');
        return { redriveDate: seconds((await sfn.redriveExecution(req.executionArn)).redriveDate) };
      },
      SendTaskSuccess: (input) => {
        const req = parse(Requests.SendTaskSuccess, input, 'SendTaskSuccess');
        sfn.sendTaskSuccess(req.taskToken, req.output);
        return {};
      },
      SendTaskFailure: (input) => {
        const req = parse(Requests.SendTaskFailure, input, 'SendTaskFailure');
        sfn.sendTaskFailure(req.taskToken, req.error, req.cause);
        return {};
      },
      CreateActivity: (input) => {
        const a = sfn.createActivity(parse(Requests.CreateActivity, input, 'CreateActivity'));
        return { activityArn: a.activityArn, creationDate: seconds(a.creationDate) };
      },
      DescribeActivity: (input) => {
        const a = sfn.describeActivity(parse(Requests.DescribeActivity, input, 'DescribeActivity').activityArn);
        return { activityArn: a.activityArn, name: a.name, creationDate: seconds(a.creationDate) };
      },
      ListActivities: () => ({
        activities: sfn.listActivities().map((a) => ({ activityArn: a.activityArn, name: a.name, creationDate: seconds(a.creationDate) })),
      }),
      // A long poll: answers when a task is scheduled, or with no token after the poll time.
      GetActivityTask: async (input, { signal }) => {
        const req = parse(Requests.GetActivityTask, input, 'GetActivityTask');
        const task = await sfn.getActivityTask(req.activityArn, req.workerName, signal);
        return task ?? {};
      },
      SendTaskHeartbeat: (input) => {
        sfn.sendTaskHeartbeat(parse(Requests.SendTaskHeartbeat, input, 'SendTaskHeartbeat').taskToken);
        return {};
      },
    },
  });
  return {
    endpoint: server.endpoint,
    sfn,
    stop: async () => {
      sfn.stopAll();
      await server.stop();
    },
  };
}
