/**
 * Console links for notifications: a person clicks from the message to the execution and
 * to the task's log stream. Built from ARNs and names only, no API calls.
 */

/** The region part of an ARN (`arn:aws:states:eu-west-1:…` → `eu-west-1`), if it has one. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region && /^[a-z]{2}(-[a-z]+)+-\d$/.test(region) ? region : undefined;
}

const consoleHost = (region: string): string => `https://${region}.console.aws.amazon.com`;

/** The execution's page in the Step Functions console (graph, history, input and output). */
export function executionConsoleUrl(executionArn: string, fallbackRegion = 'us-east-1'): string {
  const region = regionOfArn(executionArn) ?? fallbackRegion;
  return `${consoleHost(region)}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * The CloudWatch console's fragment encoding: each part URI-encoded twice, `%` written as `$`
 * (`/aws/ecs/x` → `$252Faws$252Fecs$252Fx`). Single encoding opens an empty page.
 */
export function consoleFragmentEncode(value: string): string {
  return encodeURIComponent(encodeURIComponent(value)).replace(/%/g, '$');
}

/** The ECS task id: the last segment of a task ARN (`…:task/cluster/abc123` → `abc123`). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

export interface TaskLogStream {
  region: string;
  logGroup: string;
  /** The container name in the task definition. */
  container: string;
  taskArn: string;
  /** The awslogs-stream-prefix of the task definition (`ecs`). */
  streamPrefix?: string;
}

/** awslogs names a task's stream `<prefix>/<container>/<task id>`. */
export function taskLogStreamName({ container, taskArn, streamPrefix = 'ecs' }: Omit<TaskLogStream, 'region' | 'logGroup'>): string {
  return `${streamPrefix}/${container}/${taskIdOf(taskArn)}`;
}

export function taskLogStreamUrl(stream: TaskLogStream): string {
  const { region, logGroup } = stream;
  return (
    `${consoleHost(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${consoleFragmentEncode(logGroup)}` +
    `/log-events/${consoleFragmentEncode(taskLogStreamName(stream))}`
  );
}

/** A log group's page, for when the task (and so the stream) is not known. */
export function logGroupUrl(region: string, logGroup: string): string {
  return `${consoleHost(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${consoleFragmentEncode(logGroup)}`;
}

/** The alarm's page in the CloudWatch console. */
export function alarmConsoleUrl(region: string, alarmName: string): string {
  return `${consoleHost(region)}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}
