// cdk-nag's AWS Solutions rules on the whole app, as `npx cdk synth` applies them:
// no error or warning is left unsuppressed, and each suppression states its reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { SLUICE_APP_CONTEXT, SluiceStack, applySluiceNagSuppressions, type SluiceStackProps } from '../infra/index.ts';

const ENV_ACCOUNT = { account: '123456789012', region: 'eu-west-1' };

/** A configuration with two subscribers, one reading through enhanced fan-out. */
function subscribersConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-nag-config-')), 'sluice.config.json');
  const examples = new URL('../examples/subscribers/', import.meta.url).pathname;
  writeFileSync(file, JSON.stringify({ subscribers: [
    { name: 'hook', handler: join(examples, 'webhookForwarder.ts'), types: ['purchase'] },
    { name: 'spikes', handler: join(examples, 'spikeAlert.ts'), enhancedFanOut: true },
  ] }));
  return file;
}

function checkedStack(props: SluiceStackProps, suppress = true) {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-nag-'));
  const app = new App({ context: { ...SLUICE_APP_CONTEXT, 'aws:cdk:bundling-stacks': [] }, outdir });
  const stack = new SluiceStack(app, 'Sluice', { env: ENV_ACCOUNT, ...props });
  if (suppress) applySluiceNagSuppressions(stack);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  const annotations = Annotations.fromStack(stack);
  const template = Template.fromStack(stack).toJSON();
  rmSync(outdir, { recursive: true, force: true });
  const findings = [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-')),
  ].map((m) => `${m.id}: ${(typeof m.entry.data === 'string' ? m.entry.data : JSON.stringify(m.entry.data)).split(':')[0]}`);
  return { template, findings };
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it.each([
    ['the default stack', {}],
    // The ingest entry stands in for the query handler: the rules look at resources only.
    ['the stack with the query route', { query: { entry: 'producers/ingest/lambda.ts' } }],
    ['the stack with configured subscribers', { configFile: subscribersConfig() }],
  ] as const)('finds no unsuppressed error or warning in %s', (_, props) => {
    const { findings } = checkedStack(props);

    expect(findings).toEqual([]);
  });

  it('would find the accepted issues without the suppressions (the checks do run)', () => {
    const { findings } = checkedStack({}, false);

    expect(findings.join('\n')).toMatch(/AwsSolutions-RDS6/);
    expect(findings.join('\n')).toMatch(/AwsSolutions-SQS3/);
  });

  it('gives every suppression a reason', () => {
    type Suppressions = { cdk_nag?: { rules_to_suppress?: Array<{ id: string; reason: string }> } };
    const template = checkedStack({}).template as { Metadata?: Suppressions; Resources: Record<string, { Metadata?: Suppressions }> };

    const all = [template.Metadata, ...Object.values(template.Resources).map((r) => r.Metadata)]
      .flatMap((m) => m?.cdk_nag?.rules_to_suppress ?? []);

    expect(new Set(all.map((s) => s.id))).toEqual(new Set([
      'AwsSolutions-L1', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-S1', 'AwsSolutions-SQS3',
      'AwsSolutions-RDS6', 'AwsSolutions-RDS10', 'AwsSolutions-SMG4', 'AwsSolutions-VPC7',
    ]));
    for (const s of all) expect(s.reason.length, s.id).toBeGreaterThan(40);
  });
});
