/**
 * A local SNS for the stack's functions: Publish only (AWS Query protocol, what
 * @aws-sdk/client-sns speaks), kept in the same outbox as the state machine's notifications,
 * so a schedule's "batch incomplete" notice or a sweeper notice shows up like a run's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { PortInUseError } from '../data-services';

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
}

export interface LocalSns {
  endpoint: string;
  stop(): Promise<void>;
}

const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml' }).end(`<?xml version="1.0"?>\n${body}`);
}

function handle(body: string, response: ServerResponse, onPublish: (message: PublishedMessage) => string): void {
  const form = new URLSearchParams(body);
  const requestId = randomUUID();
  const action = form.get('Action');
  const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
  const message = form.get('Message');
  if (action !== 'Publish' || !topicArn || message === null) {
    const why =
      action !== 'Publish'
        ? `the local SNS answers Publish only, not ${action ?? 'a request without Action'}`
        : 'Publish needs TopicArn and Message';
    reply(
      response,
      400,
      `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>${xml(why)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
    return;
  }
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
  }
  const subject = form.get('Subject');
  const messageId = onPublish({ topicArn, message, attributes, ...(subject !== null ? { subject } : {}) });
  reply(
    response,
    200,
    `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
  );
}

export async function startLocalSns(options: { port: number; onPublish: (message: PublishedMessage) => string }): Promise<LocalSns> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(Buffer.concat(chunks).toString('utf8'), response, options.onPublish));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError('sns', options.port, { cause: error }) : error),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
