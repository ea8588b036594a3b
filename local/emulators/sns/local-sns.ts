/**
 * Local SNS: the stack's topics and subscriptions, Publish with message attributes, filter
 * policies on attributes or on the message body, and delivery to each matching subscription
 * through the deliverer its protocol names (Lambda, SQS; email and HTTP are recorded, not
 * sent). Every message is kept with what happened to each subscription, which is what the
 * console's Notifications page and the demos show.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

export class SnsError extends Error {
  override readonly name = 'SnsError';
  constructor(
    readonly code: 'NotFound' | 'InvalidParameter' | 'InternalError',
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface Topic {
  topicArn: string;
  name: string;
  displayName?: string;
}

export interface Subscription {
  subscriptionArn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  /** The subscription's FilterPolicy, parsed. */
  filterPolicy?: Record<string, unknown>;
  filterPolicyScope: 'MessageAttributes' | 'MessageBody';
  rawMessageDelivery: boolean;
}

export interface Delivery {
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  status: 'delivered' | 'filtered-out' | 'failed' | 'not-sent';
  detail?: string;
}

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  topicName: string;
  subject?: string;
  message: string;
  attributes: Record<string, MessageAttribute>;
  at: Date;
  /** Who published it: a function, the state machine, an alarm (local only, for the console). */
  publisher?: string;
  deliveries: Delivery[];
}

export interface PublishInput {
  TopicArn?: string;
  TargetArn?: string;
  Message: string;
  Subject?: string;
  MessageAttributes?: Record<string, MessageAttribute>;
  publisher?: string;
}

/** Hands a notification to one subscription's endpoint; throws when delivery fails. */
export type Deliverer = (subscription: Subscription, notification: SnsNotification, message: PublishedMessage) => Promise<void>;

/** The JSON SNS delivers to SQS and HTTP endpoints (and, with capitalised URL keys, inside Lambda events). */
export interface SnsNotification {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1';
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** Attribute values as filter policies see them: numbers as numbers, String.Array as arrays. */
function attributeValues(attributes: Record<string, MessageAttribute>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    const value = a.StringValue ?? a.BinaryValue ?? '';
    if (a.DataType.startsWith('Number')) out[name] = Number(value);
    else if (a.DataType === 'String.Array') {
      try {
        out[name] = JSON.parse(value) as unknown;
      } catch {
        out[name] = value;
      }
    } else out[name] = value;
  }
  return out;
}

/** An EventBridge-style pattern matcher: SNS filter policies share the syntax (exact, prefix, anything-but, numeric, exists). */
export type PatternMatcher = (pattern: Record<string, unknown>, value: unknown) => boolean;

export function filterMatches(
  subscription: Subscription,
  message: { message: string; attributes: Record<string, MessageAttribute> },
  matchesPattern: PatternMatcher,
): boolean {
  if (!subscription.filterPolicy) return true;
  if (subscription.filterPolicyScope === 'MessageBody') {
    let body: unknown;
    try {
      body = JSON.parse(message.message);
    } catch {
      return false;
    }
    return matchesPattern(subscription.filterPolicy, body);
  }
  return matchesPattern(subscription.filterPolicy, attributeValues(message.attributes));
}

export class LocalSns extends EventEmitter<{ message: [PublishedMessage] }> {
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions: Subscription[] = [];
  readonly messages: PublishedMessage[] = [];

  constructor(
    readonly region: string,
    readonly accountId: string,
    private readonly deliverers: Partial<Record<string, Deliverer>>,
    private readonly matchesPattern: PatternMatcher,
    /** How many messages to keep (the oldest go first). */
    private readonly keep = 1_000,
  ) {
    super();
  }

  createTopic(name: string, displayName?: string): Topic {
    const topicArn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    const topic: Topic = { topicArn, name, ...(displayName ? { displayName } : {}) };
    this.topics.set(topicArn, topic);
    return topic;
  }

  subscribe(input: {
    topicArn: string;
    protocol: string;
    endpoint: string;
    filterPolicy?: Record<string, unknown>;
    filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
    rawMessageDelivery?: boolean;
  }): Subscription {
    this.topic(input.topicArn);
    const subscription: Subscription = {
      subscriptionArn: `${input.topicArn}:${randomUUID()}`,
      topicArn: input.topicArn,
      protocol: input.protocol,
      endpoint: input.endpoint,
      ...(input.filterPolicy ? { filterPolicy: input.filterPolicy } : {}),
      filterPolicyScope: input.filterPolicyScope ?? 'MessageAttributes',
      rawMessageDelivery: input.rawMessageDelivery ?? false,
    };
    this.subscriptions.push(subscription);
    return subscription;
  }

  listTopics(): Topic[] {
    return [...this.topics.values()];
  }

  listSubscriptions(topicArn?: string): Subscription[] {
    if (topicArn) this.topic(topicArn);
    return this.subscriptions.filter((s) => (topicArn ? s.topicArn === topicArn : true));
  }

  topic(topicArn: string): Topic {
    const topic = this.topics.get(topicArn);
    if (!topic)
      throw new SnsError(
        'NotFound',
        `Topic does not exist: ${topicArn} (local topics: ${[...this.topics.values()].map((t) => t.name).join(', ') || 'none'})`,
        404,
      );
    return topic;
  }

  /** Publish: the message is recorded at once; deliveries run after the caller has its MessageId, as on SNS. */
  publish(input: PublishInput): { messageId: string; delivered: Promise<void> } {
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (!topicArn)
      throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (typeof input.Message !== 'string' || input.Message.length === 0)
      throw new SnsError('InvalidParameter', 'Invalid parameter: Message Reason: empty message');
    if (Buffer.byteLength(input.Message) > 256 * 1024) throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long');
    if (input.Subject !== undefined && (input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) {
      throw new SnsError('InvalidParameter', 'Invalid parameter: Subject must be at most 100 characters on one line');
    }
    const topic = this.topic(topicArn);
    const message: PublishedMessage = {
      messageId: randomUUID(),
      topicArn,
      topicName: topic.name,
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      message: input.Message,
      attributes: input.MessageAttributes ?? {},
      at: new Date(),
      ...(input.publisher ? { publisher: input.publisher } : {}),
      deliveries: [],
    };
    this.messages.push(message);
    if (this.messages.length > this.keep) this.messages.splice(0, this.messages.length - this.keep);
    const delivered = this.deliver(message);
    this.emit('message', message);
    return { messageId: message.messageId, delivered };
  }

  private async deliver(message: PublishedMessage): Promise<void> {
    const notification: SnsNotification = {
      Type: 'Notification',
      MessageId: message.messageId,
      TopicArn: message.topicArn,
      ...(message.subject !== undefined ? { Subject: message.subject } : {}),
      Message: message.message,
      Timestamp: message.at.toISOString(),
      SignatureVersion: '1',
      Signature: 'local',
      SigningCertURL: 'http://127.0.0.1/local-sns/SimpleNotificationService.pem',
      UnsubscribeURL: `http://127.0.0.1/local-sns/?Action=Unsubscribe&TopicArn=${encodeURIComponent(message.topicArn)}`,
      ...(Object.keys(message.attributes).length
        ? {
            MessageAttributes: Object.fromEntries(
              Object.entries(message.attributes).map(([k, a]) => [k, { Type: a.DataType, Value: a.StringValue ?? a.BinaryValue ?? '' }]),
            ),
          }
        : {}),
    };
    await Promise.all(
      this.subscriptions
        .filter((s) => s.topicArn === message.topicArn)
        .map(async (subscription) => {
          const base = { subscriptionArn: subscription.subscriptionArn, protocol: subscription.protocol, endpoint: subscription.endpoint };
          if (!filterMatches(subscription, message, this.matchesPattern))
            return void message.deliveries.push({ ...base, status: 'filtered-out' });
          const deliverer = this.deliverers[subscription.protocol];
          if (!deliverer)
            return void message.deliveries.push({
              ...base,
              status: 'not-sent',
              detail: `the local cloud does not send ${subscription.protocol} messages`,
            });
          try {
            await deliverer(subscription, notification, message);
            message.deliveries.push({ ...base, status: 'delivered' });
          } catch (error) {
            message.deliveries.push({ ...base, status: 'failed', detail: error instanceof Error ? error.message : String(error) });
          }
        }),
    );
  }
}
