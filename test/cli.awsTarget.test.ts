// `--target aws`: send, query, quarantine and loadtest find a deployed stack from its
// CloudFormation outputs. CloudFormation is a local server answering DescribeStacks
// with a recorded response (test/fixtures/describe-stacks.xml) to the real SDK
// client; the outputs name a running local stack, reached through the standard
// AWS_ENDPOINT_URL_* overrides, while a decoy .sluice/env proves no local file is read.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, STACK_ENV_FILE } from '../core/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import { runCli } from './support/cli.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';
import { startSigV4Gate, type SigV4Gate } from './support/sigv4.ts';

const RECORDED = readFileSync(new URL('./fixtures/describe-stacks.xml', import.meta.url), 'utf8');
const MISSING = (name: string) => `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error>
  <RequestId>0d3c9f7e-3a42-11f0-8c3e-0a1b2c3d4e5f</RequestId>
</ErrorResponse>`;

const creds = { AWS_ACCESS_KEY_ID: 'ASIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token-for-the-cli' };

describe('--target aws', () => {
  let stack: LocalStack;
  let scratch: ScratchDatabase | undefined;
  let dataDir: string;
  let decoyDir: string;
  let cloudFormation: http.Server;
  // Stands where the deployed API would: IAM authorization, each request's SigV4 verified.
  let gate: SigV4Gate;
  const calls: Array<{ params: URLSearchParams; headers: http.IncomingHttpHeaders }> = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // EMF lines of the in-process consumers would drown the test output.
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-awstarget-'));
    decoyDir = mkdtempSync(join(tmpdir(), 'sluice-awstarget-decoy-'));
    scratch = await scratchDatabaseUrl();
    stack = await startStack({ dataDir, ...(scratch ? { databaseUrl: scratch.url } : {}) });
    // A local stack file that would send everything nowhere if it were read.
    writeFileSync(join(decoyDir, STACK_ENV_FILE), `${ENV.streamName}=not-this-stream\n${ENV.kinesisEndpoint}=http://127.0.0.1:9\n${ENV.rdsDataEndpoint}=http://127.0.0.1:9\n${ENV.dbClusterArn}=arn:aws:rds:us-east-1:000000000000:cluster:decoy\n`);

    gate = await startSigV4Gate(new URL(stack.env[ENV.ingestUrl]!).origin, {
      [creds.AWS_ACCESS_KEY_ID]: { secretAccessKey: creds.AWS_SECRET_ACCESS_KEY, sessionToken: creds.AWS_SESSION_TOKEN },
    }, { service: 'execute-api', region: 'eu-west-1' });
    // sluice-signed: the same stack behind the gate.
    const answer = (stackName: string) => RECORDED
      .replaceAll('{{STACK}}', stackName).replaceAll('{{STACK_LOWER}}', stackName.toLowerCase())
      .replaceAll('{{INGEST_URL}}', stackName === 'sluice-signed' ? `${gate.url}${new URL(stack.env[ENV.ingestUrl]!).pathname}` : stack.env[ENV.ingestUrl]!).replaceAll('{{STREAM}}', stack.env[ENV.streamName]!)
      .replaceAll('{{DELIVERY_STREAM}}', stack.env[ENV.deliveryStreamName]!).replaceAll('{{CLUSTER_ARN}}', stack.env[ENV.dbClusterArn]!)
      .replaceAll('{{SECRET_ARN}}', stack.env[ENV.dbSecretArn]!).replaceAll('{{DATABASE}}', stack.env[ENV.dbName]!);
    cloudFormation = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const params = new URLSearchParams(body);
        calls.push({ params, headers: req.headers });
        const name = params.get('StackName') ?? '';
        const found = params.get('Action') === 'DescribeStacks' && (name === 'sluice-staging' || name === 'sluice-signed');
        res.writeHead(found ? 200 : 400, { 'content-type': 'text/xml' });
        res.end(found ? answer(name) : MISSING(name));
      });
    });
    await new Promise<void>((ok) => cloudFormation.listen(0, '127.0.0.1', ok));

    env = {
      ...creds,
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`,
      // What a user of an AWS emulator would export; sluice reads nothing else locally.
      [ENV.kinesisEndpoint]: stack.env[ENV.kinesisEndpoint], [ENV.rdsDataEndpoint]: stack.env[ENV.rdsDataEndpoint],
      [ENV.dataDir]: decoyDir,
      [ENV.streamName]: '', [ENV.dbClusterArn]: '', [ENV.dbSecretArn]: '', [ENV.dbName]: '', [ENV.ingestUrl]: '', [ENV.deliveryStreamName]: '',
    };
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((ok) => (cloudFormation ? cloudFormation.close(() => ok()) : ok()));
    await gate?.close();
    await stack?.stop();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(decoyDir, { recursive: true, force: true });
  });

  it('sends to the stream the stack names, then queries its rollups, asking CloudFormation with the session token', async () => {
    const type = `aws.target.${Date.now()}`;
    const input = Array.from({ length: 25 }, (_, i) => JSON.stringify({ type, value: i + 1 })).join('\n');
    const before = calls.length;

    const sent = await runCli(['send', '--target', 'aws', '--stack', 'sluice-staging', '--json'], { env, input });

    expect(sent.stderr).toBe('');
    expect(JSON.parse(sent.stdout)).toMatchObject({ accepted: 25, rejected: 0, failed: 0, format: 'compressed' });
    const call = calls[before]!;
    expect(call.params.get('Action')).toBe('DescribeStacks');
    expect(call.params.get('StackName')).toBe('sluice-staging');
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/cloudformation\//);
    expect(call.headers['x-amz-security-token']).toBe(creds.AWS_SESSION_TOKEN);

    let totals: { count: number; sum: number } | undefined;
    for (let i = 0; i < 60 && totals?.count !== 25; i++) {
      const q = await runCli(['query', '--target', 'aws', '--stack', 'sluice-staging', '--type', type, '--format', 'json'], { env });
      // Until the type's first rows land, the query says it has none (exit 2).
      if (!(q.code === 2 && /no rows of type/.test(q.stderr))) {
        expect(q.code, q.stderr).toBe(0);
        const t = (JSON.parse(q.stdout) as { results: { totals: { count: number; sum: number } }[] }).results[0]!.totals;
        totals = { count: t.count, sum: t.sum };
      }
      if (totals?.count !== 25) await new Promise((r) => setTimeout(r, 500));
    }
    expect(totals).toEqual({ count: 25, sum: 325 });
  }, 120_000);

  it('lists the quarantine of the stack', async () => {
    const r = await runCli(['quarantine', 'list', '--target', 'aws', '--stack', 'sluice-staging', '--format', 'json'], { env });

    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ entries: [] });
  }, 60_000);

  it('load-tests the stack without --allow-remote and checks the totals', async () => {
    const r = await runCli(['loadtest', '--target', 'aws', '--stack', 'sluice-staging', '--rate', '100', '--duration', '1', '--types', '2', '--json'], { env });

    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { accepted: number; sent: number; rollups: { matched: boolean } };
    expect(report.accepted).toBe(report.sent);
    expect(report.rollups.matched).toBe(true);
  }, 120_000);

  it('load-tests the stack\'s HTTP API with every request signed, verified by the API\'s gate', async () => {
    const r = await runCli(['loadtest', '--target', 'aws', '--stack', 'sluice-signed', '--http', '--rate', '100', '--duration', '1', '--types', '2', '--json'], { env });

    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { endpoint: string; accepted: number; sent: number; rollups: { matched: boolean } };
    expect(report.endpoint.startsWith(gate.url)).toBe(true);
    expect(report.accepted).toBe(100);
    expect(report.rollups.matched).toBe(true);
    expect(gate.verdicts.length).toBeGreaterThan(0);
    expect(gate.verdicts.every((v) => v.ok)).toBe(true);
  }, 120_000);

  it('names a missing stack and the way to deploy it, exit 1', async () => {
    const r = await runCli(['query', '--target', 'aws', '--stack', 'nope', '--type', 't'], { env });

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stack nope not found in eu-west-1: deploy it/);
  }, 60_000);

  it('refuses --stack without --target aws, and an unknown target, exit 2', async () => {
    const a = await runCli(['send', '--stack', 'x'], { env, input: '' });
    const b = await runCli(['query', '--target', 'gcp', '--type', 't'], { env });

    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--stack needs --target aws/);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--target must be local or aws/);
  }, 60_000);
});
