// `--target aws [--stack NAME]`: the variables a command runs with, read from the
// deployed stack's CloudFormation outputs (each output is described by the variable
// it fills) over the process environment, never from the local stack's file, so
// nothing has to be copied by hand and nothing local leaks into an AWS run.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_STACK_NAME, ENV, awsClientConfig, regionOf, type StackEnv } from '../core/index.ts';
import { AwsTargetError, UsageError } from './errors.ts';

/** The flags every command that reaches the stack takes. */
export const TARGET_FLAGS = {
  target: { type: 'string' },
  stack: { type: 'string' },
} as const;

export const TARGET_USAGE = `  --target local|aws  the local stack (default; .sluice/env) or a deployed one
  --stack NAME        with --target aws: the CloudFormation stack (default ${DEFAULT_STACK_NAME})`;


/** Variables a deployed stack's outputs can fill: the ones named in core `ENV` with a SLUICE_ prefix. */
const OUTPUT_VARIABLES = new Set<string>(Object.values(ENV).filter((v) => v.startsWith('SLUICE_')));

/** True for `--target aws`; a UsageError for anything but local or aws, or --stack without aws. */
export function isAwsTarget(values: Readonly<Record<string, unknown>>, usage: string): boolean {
  const target = (values.target as string | undefined) ?? 'local';
  if (target !== 'local' && target !== 'aws') throw new UsageError(`--target must be local or aws, got "${target}"`, usage);
  if (values.stack !== undefined && target !== 'aws') throw new UsageError('--stack needs --target aws', usage);
  return target === 'aws';
}

/**
 * The variables for the chosen target: `env` as it is for the local stack; for
 * AWS, `processEnv` (credentials, region, endpoint overrides) plus the outputs.
 */
export async function resolveTarget(
  values: Readonly<Record<string, unknown>>, env: StackEnv, usage: string, processEnv: StackEnv = process.env,
): Promise<StackEnv> {
  if (!isAwsTarget(values, usage)) return env;
  return stackOutputsEnv((values.stack as string | undefined) ?? DEFAULT_STACK_NAME, processEnv);
}

/** DescribeStacks on `stackName`, its outputs under their variable names, over `processEnv`. */
export async function stackOutputsEnv(stackName: string, processEnv: StackEnv): Promise<StackEnv> {
  const client = new CloudFormationClient(awsClientConfig(processEnv, 'cloudFormation'));
  try {
    let stack;
    try {
      stack = (await client.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    } catch (err) {
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) stack = undefined;
      else throw err;
    }
    const region = regionOf(processEnv) ?? await client.config.region();
    if (!stack) {
      throw new AwsTargetError(`stack ${stackName} not found in ${region}: deploy it (cd infra && npx cdk deploy), or name it with --stack NAME and the region with AWS_REGION`);
    }
    const out: StackEnv = { ...processEnv, [ENV.region]: region };
    let found = 0;
    for (const o of stack.Outputs ?? []) {
      if (o.Description && OUTPUT_VARIABLES.has(o.Description) && o.OutputValue !== undefined) {
        out[o.Description] = o.OutputValue;
        found++;
      }
    }
    if (found === 0) {
      throw new AwsTargetError(`stack ${stackName} (${stack.StackStatus ?? 'unknown status'}) has no sluice outputs: is it a sluice stack, and did its deploy finish?`);
    }
    return out;
  } finally {
    client.destroy();
  }
}
