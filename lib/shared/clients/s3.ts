import { S3Client } from '@aws-sdk/client-s3';
import { once } from './once';

export const s3Client = once(() => new S3Client({}));
