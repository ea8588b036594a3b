/**
 * The local SNS over HTTP in SNS's own protocol (AWS Query: form-encoded `Action=Publish&...`
 * in, XML out), so @aws-sdk/client-sns, the AWS CLI and functions' `snsClient()` work against
 * it through AWS_ENDPOINT_URL_SNS. Publish, ListTopics, ListSubscriptions(ByTopic) and
 * GetTopicAttributes; anything else is an InvalidAction error naming what is supported.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readBody } from '../aws-json-server';
import { SnsError, type LocalSns, type MessageAttribute } from './local-sns';

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';

const xml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

function respond(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

function ok(res: ServerResponse, action: string, result: string): void {
  respond(
    res,
    200,
    `<?xml version="1.0"?>\n<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  respond(
    res,
    status,
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** `MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&...` → attributes by name. */
export function readMessageAttributes(form: URLSearchParams): Record<string, MessageAttribute> {
  const entries = new Map<string, Partial<MessageAttribute> & { Name?: string }>();
  for (const [key, value] of form) {
    const m = /^MessageAttributes\.entry\.(\d+)\.(Name|Value\.DataType|Value\.StringValue|Value\.BinaryValue)$/.exec(key);
    if (!m) continue;
    const entry = entries.get(m[1]!) ?? {};
    const field = m[2]!.replace('Value.', '') as 'Name' | 'DataType' | 'StringValue' | 'BinaryValue';
    entry[field] = value;
    entries.set(m[1]!, entry);
  }
  const out: Record<string, MessageAttribute> = {};
  for (const [index, entry] of entries) {
    if (!entry.Name || !entry.DataType)
      throw new SnsError('InvalidParameter', `Invalid parameter: MessageAttributes.entry.${index} needs a Name and a Value.DataType`);
    out[entry.Name] = {
      DataType: entry.DataType,
      ...(entry.StringValue !== undefined ? { StringValue: entry.StringValue } : {}),
      ...(entry.BinaryValue !== undefined ? { BinaryValue: entry.BinaryValue } : {}),
    };
  }
  return out;
}

export function snsQueryHandler(
  sns: LocalSns,
  publisherOf: (req: IncomingMessage) => string | undefined = () => undefined,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const form = new URLSearchParams(await readBody(req));
      const action = form.get('Action') ?? '';
      const required = (name: string) => {
        const value = form.get(name);
        if (value === null || value === '')
          throw new SnsError('InvalidParameter', `Invalid parameter: ${name} Reason: no value for required parameter`);
        return value;
      };
      switch (action) {
        case 'Publish': {
          const subject = form.get('Subject');
          const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
          const publisher = publisherOf(req);
          const { messageId } = sns.publish({
            ...(topicArn ? { TopicArn: topicArn } : {}),
            Message: required('Message'),
            ...(subject !== null ? { Subject: subject } : {}),
            MessageAttributes: readMessageAttributes(form),
            ...(publisher ? { publisher } : {}),
          });
          return ok(res, 'Publish', `<MessageId>${messageId}</MessageId>`);
        }
        case 'ListTopics':
          return ok(
            res,
            'ListTopics',
            `<Topics>${sns
              .listTopics()
              .map((t) => `<member><TopicArn>${xml(t.topicArn)}</TopicArn></member>`)
              .join('')}</Topics>`,
          );
        case 'ListSubscriptions':
        case 'ListSubscriptionsByTopic': {
          const subscriptions = sns.listSubscriptions(action === 'ListSubscriptionsByTopic' ? required('TopicArn') : undefined);
          const members = subscriptions
            .map(
              (s) =>
                `<member><TopicArn>${xml(s.topicArn)}</TopicArn><Protocol>${xml(s.protocol)}</Protocol><SubscriptionArn>${xml(s.subscriptionArn)}</SubscriptionArn><Owner>${sns.accountId}</Owner><Endpoint>${xml(s.endpoint)}</Endpoint></member>`,
            )
            .join('');
          return ok(res, action, `<Subscriptions>${members}</Subscriptions>`);
        }
        case 'GetTopicAttributes': {
          const topic = sns.topic(required('TopicArn'));
          const attributes = {
            TopicArn: topic.topicArn,
            DisplayName: topic.displayName ?? '',
            Owner: sns.accountId,
            SubscriptionsConfirmed: String(sns.listSubscriptions(topic.topicArn).length),
          };
          return ok(
            res,
            'GetTopicAttributes',
            `<Attributes>${Object.entries(attributes)
              .map(([k, v]) => `<entry><key>${k}</key><value>${xml(v)}</value></entry>`)
              .join('')}</Attributes>`,
          );
        }
        default:
          return fail(
            res,
            400,
            'InvalidAction',
            `The action ${action || '(none)'} is not valid for this local SNS (supported: Publish, ListTopics, ListSubscriptions, ListSubscriptionsByTopic, GetTopicAttributes)`,
          );
      }
    } catch (error) {
      if (error instanceof SnsError) return fail(res, error.status, error.code, error.message);
      return fail(res, 500, 'InternalError', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  };
}
