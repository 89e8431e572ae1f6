// The parts of a synthesized CloudFormation template the infra tests read, typed as
// CloudFormation writes them. Every property is optional: which ones a resource has
// depends on its type.
export interface Ref { Ref: string }
export interface GetAtt { 'Fn::GetAtt': [string, string] }

export interface CfnProperties {
  [property: string]: unknown;
  // Lambda functions
  Description?: string;
  Role?: GetAtt;
  Code?: { S3Key: string };
  Environment?: { Variables: Record<string, string> };
  // IAM policies
  Roles?: Ref[];
  PolicyDocument?: { Statement: { Action: string | string[]; Resource: unknown }[] };
  // Event source mappings
  FunctionName?: Ref;
  DestinationConfig?: { OnFailure: { Destination: GetAtt } };
  // HTTP API routes, stream consumers
  RouteKey?: string;
  AuthorizationType?: string;
  ConsumerName?: string;
  // Alarms
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  AlarmActions?: unknown[];
}

export interface CfnResource { Type: string; Properties: CfnProperties; DependsOn?: string[] }
