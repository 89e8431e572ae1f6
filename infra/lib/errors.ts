// Errors the CDK app raises at synth time, before anything reaches CloudFormation,
// so a bad setting names the prop and its allowed range instead of failing a deploy.
import { SluiceError } from '../../core/index.ts';

/** A construct prop outside what the AWS service accepts; `prop` names it. */
export class InfraConfigError extends SluiceError {
  readonly prop: string;
  constructor(prop: string, message: string) {
    super(`${prop}: ${message}`);
    this.prop = prop;
  }
}
