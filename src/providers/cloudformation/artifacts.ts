import { createHash } from 'node:crypto';
import { NephoError } from '../../errors.js';
import type { AwsClients } from './client.js';

/**
 * The artifacts bucket of an account and region: one per pair, so templates
 * stay in the region of their stacks and the name can be worked out from any
 * machine. Bucket names are global, so anyone could make one with this name
 * first: every call passes ExpectedBucketOwner, and a bucket owned by someone
 * else is refused rather than written to.
 */
export function artifactsBucket(account: string, region: string): string {
  return `nepho-artifacts-${account}-${region}`;
}

/** The virtual-hosted S3 URL CloudFormation reads a template from. */
export function templateUrl(bucket: string, region: string, key: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${bucket}.s3.${region}.${suffix}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Put a template too large to send inline into the artifacts bucket (made
 * when missing) and return its URL for CreateStack's TemplateURL. The key is
 * the formation and the template's digest, so the same template is stored once.
 */
export async function uploadTemplate(clients: AwsClients, formation: string, body: string): Promise<{ bucket: string; key: string; url: string }> {
  const [{ S3Client, HeadBucketCommand, CreateBucketCommand, PutObjectCommand }, { STSClient, GetCallerIdentityCommand }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-sts'),
  ]);
  const { region } = clients.settings;
  const sts = new STSClient(clients.config('sts'));
  const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  if (!account) throw new Error('STS GetCallerIdentity returned no account');
  const bucket = artifactsBucket(account, region);
  // Path-style addressing when an endpoint is set: a local endpoint has no per-bucket host names.
  const s3 = new S3Client(clients.config('s3', clients.settings.endpoints.s3 ? { forcePathStyle: true } : {}));

  let exists = true;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: account }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) exists = false;
    else if (status === 403) {
      throw new NephoError(
        'ARTIFACTS_BUCKET_FORBIDDEN',
        `S3 bucket ${bucket} (for templates over 51,200 bytes) exists but is not this account's, or denies access`,
        {
          hint: 'nepho only writes templates to a bucket of the account it deploys to; check the bucket and its policy',
          cause: error,
        },
      );
    } else throw error;
  }
  if (!exists) {
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
    } catch (error) {
      // Made meanwhile by another nepho of the same account: fine. By anyone else: refused.
      if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') {
        if ((error as { name?: string }).name === 'BucketAlreadyExists') {
          throw new NephoError('ARTIFACTS_BUCKET_FORBIDDEN', `S3 bucket ${bucket} (for templates over 51,200 bytes) belongs to another account`, {
            cause: error,
          });
        }
        throw error;
      }
    }
  }
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
  const key = `templates/${formation}/${digest}.json`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ExpectedBucketOwner: account }));
  return { bucket, key, url: templateUrl(bucket, region, key) };
}
