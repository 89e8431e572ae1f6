// Where sluice's AWS clients get credentials: the SDK's default chain always (with
// the session token of temporary credentials); placeholders only for the local
// stack's loopback endpoints, and only when the chain finds nothing.
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_CREDENTIALS, awsClientConfig, chainFindsCredentials, localEndpointCredentials } from '../core/index.ts';

const temporary = { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };
const nothing = async (): Promise<never> => {
  throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
};

describe('credentials', () => {
  it('never sets credentials for an AWS endpoint: the SDK resolves its default chain', () => {
    const remote = awsClientConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' }, 'kinesis');
    const pinned = awsClientConfig({ AWS_ENDPOINT_URL_KINESIS: 'https://kinesis.eu-west-1.amazonaws.com' }, 'kinesis');

    expect(remote).toEqual({ region: 'eu-west-1' });
    expect(pinned.credentials).toBeUndefined();
  });

  it('gives a loopback endpoint the chain, then placeholders when the chain finds none', () => {
    const local = awsClientConfig({ AWS_ENDPOINT_URL_RDS_DATA: 'http://127.0.0.1:4572' }, 'rdsData');

    expect(local.region).toBe('us-east-1');
    expect(typeof local.credentials).toBe('function');
  });

  it('uses what the chain finds, session token included', async () => {
    const provider = localEndpointCredentials(async () => temporary);

    await expect(provider()).resolves.toEqual(temporary);
  });

  it('falls back to placeholders only when the chain finds nothing, and rethrows anything else', async () => {
    const broken = localEndpointCredentials(async () => { throw new TypeError('bug'); });

    await expect(localEndpointCredentials(nothing)()).resolves.toEqual(PLACEHOLDER_CREDENTIALS);
    await expect(broken()).rejects.toThrow(TypeError);
    await expect(chainFindsCredentials(nothing)).resolves.toBe(false);
    await expect(chainFindsCredentials(async () => temporary)).resolves.toBe(true);
  });

  it('reads AWS_DEFAULT_REGION when AWS_REGION is unset, as the AWS CLI v1 does', () => {
    expect(awsClientConfig({ AWS_DEFAULT_REGION: 'ap-south-1' }, 'firehose').region).toBe('ap-south-1');
  });
});
