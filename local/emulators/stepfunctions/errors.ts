import { AwsApiError } from '../aws-json-server';

/** A Step Functions API error: `code` is the exception name SDK clients throw (ExecutionAlreadyExists...). */
export class SfnError extends AwsApiError {}
