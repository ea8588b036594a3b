/**
 * An in-process S3 (s3rver) on a free port with one bucket, data in a temp directory
 * removed on stop. The client is built as the container builds it for emulators: path-style
 * addressing (no bucket DNS) and checksums only when required (s3rver rejects the SDK's
 * default streaming checksums). `env` points a child process's S3 client at it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// s3rver ships no types.
const S3rver = require('s3rver') as new (
  options: Record<string, unknown>,
) => {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
};

export interface S3Emulator {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /** Variables for a child process: endpoint, path style, fake credentials and region. */
  env: Record<string, string>;
  put(key: string, body: string | Buffer): Promise<void>;
  /** The object's text, or undefined when it does not exist. */
  text(key: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'uploads'): Promise<S3Emulator> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    endpoint,
    bucket,
    client,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async text(key) {
      try {
        const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await Body!.transformToString();
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
