import { Stack } from "aws-cdk-lib";
import type { IRole, Policy } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { NagSuppressions, type RegexAppliesTo } from "cdk-nag";
import type { IConstruct } from "constructs";

/**
 * cdk-nag suppressions: every finding of the AwsSolutions and HIPAA Security packs that Carebook
 * accepts, with its reason, next to the resource it is about. The stack tests run both packs over
 * every stack (test/stacks/nag.test.ts); docs/compliance.md lists what is suppressed and why.
 */

/** The rules Carebook suppresses somewhere (a typo in an id would suppress nothing). */
export type NagRuleId =
  | "AwsSolutions-APIG4"
  | "AwsSolutions-CFR1"
  | "AwsSolutions-CFR4"
  | "AwsSolutions-CFR7"
  | "AwsSolutions-S1"
  | "HIPAA.Security-S3BucketLoggingEnabled"
  | "HIPAA.Security-S3BucketVersioningEnabled"
  | "AwsSolutions-IAM4"
  | "AwsSolutions-IAM5"
  | "AwsSolutions-L1"
  | "AwsSolutions-SQS3"
  | "HIPAA.Security-DynamoDBInBackupPlan"
  | "HIPAA.Security-IAMNoInlinePolicy"
  | "HIPAA.Security-LambdaConcurrency"
  | "HIPAA.Security-LambdaDLQ"
  | "HIPAA.Security-LambdaInsideVPC"
  | "HIPAA.Security-S3BucketReplicationEnabled"
  | "HIPAA.Security-S3DefaultEncryptionKMS";

export interface Suppression {
  id: NagRuleId;
  reason: string;
  /** The rule's findings this suppression covers (IAM4, IAM5); all of them when unset. */
  appliesTo?: Array<string | RegexAppliesTo>;
}

/**
 * Suppresses on `construct` and every CloudFormation resource under it at the time of the call:
 * call it once the construct's policies exist.
 */
export function suppress(construct: IConstruct, suppressions: Suppression[]): void {
  NagSuppressions.addResourceSuppressions(construct, suppressions, true);
}

/**
 * Suppresses on every resource of `stack`, including resources created after the call — for
 * resources a construct adds only when the app is finished (SST sites' deploy-time policies).
 * Keep it narrow: `appliesTo` where the rule has findings to name.
 */
export function suppressInStack(stack: Stack, suppressions: Suppression[]): void {
  NagSuppressions.addStackSuppressions(stack, suppressions, true);
}

/** The reasons, one per decision, so that the same decision reads the same everywhere. */
export const reasons = {
  notInVpc:
    "No VPC: Carebook's functions call only AWS service APIs (DynamoDB, S3, Step Functions, EventBridge, SES, SNS, " +
    "X-Ray) over TLS with IAM-signed requests, and no Carebook resource lives in a VPC. A VPC would add NAT gateways " +
    "or an interface endpoint per service and AZ without narrowing any data path; least-privilege IAM " +
    "(stacks/iam.ts) is the boundary.",
  noReservedConcurrency:
    "No reserved concurrency: a reservation is carved out of the account's shared pool (100 must stay unreserved, " +
    "and a new account's whole pool can be 10, where any reservation fails the deployment) and would throttle the " +
    "function's own retries. Load is bounded where it enters: the HTTP API stage's throttle, the table stream's " +
    "shards, EventBridge's retry policy with a dead-letter queue per consumer, one invocation per schedule tick.",
  runtimePinned:
    "nodejs22.x is pinned on purpose (stacks/config.ts functionDefaults; the stack tests assert it): Lambda supports " +
    "it until 2027-04-30. CDK 2.224 knows nodejs24.x, which drops callback-style handlers and changes Node's " +
    "defaults; moving every handler is a change of its own, tested on the local runtime, not a side effect of a " +
    "CDK upgrade.",
  inlinePolicy:
    "This role's policy is generated for this one role from its declaration (stacks/iam.ts: exactly the table " +
    "access, workflows, bus, queue, log group and channels it declares) and is created, versioned and rolled back " +
    "with the stack by CloudFormation. A customer-managed policy per role would be a one-off copy that other " +
    "principals could be given, counted against the account's quota, with nothing to reuse.",
} as const;

/** How a function is invoked: what becomes of a failed invocation, so whether it needs a dead-letter queue. */
export type Invocation = "http" | "websocket" | "stateMachine" | "tableStream" | "schedule" | "eventBus";

const deadLetterReasons: Record<Exclude<Invocation, "eventBus">, string> = {
  http:
    "Invoked synchronously by API Gateway: a failure is the HTTP response, which the client may retry (idempotently, " +
    "with its Idempotency-Key). A function dead-letter queue only receives failed asynchronous invocations.",
  websocket:
    "Invoked synchronously by the WebSocket API (its $connect authorizer, or a route): a failure refuses the " +
    "connection or answers the client's message with an error, and the client connects or sends again. A function " +
    "dead-letter queue only receives failed asynchronous invocations.",
  stateMachine:
    "Invoked synchronously by Step Functions Task states: a failure is handled by the state's Retry and Catch (named " +
    "compensation states). A function dead-letter queue only receives failed asynchronous invocations.",
  tableStream:
    "Invoked synchronously by the table stream's event-source mapping: a batch still failing after its bounded " +
    "retries is recorded in the mapping's own on-failure SQS queue (stacks/Events.ts). A function dead-letter queue " +
    "only receives failed asynchronous invocations.",
  schedule:
    "Invoked by an EventBridge schedule whose event carries no data: the next tick, minutes later, repeats the whole " +
    "sweep, so a failed invocation leaves nothing a dead-letter queue could keep; failures show in the function's " +
    "Errors metric.",
};

/**
 * The findings every Carebook Lambda has by design (runtime pin, no reserved concurrency, no VPC,
 * and — unless invoked asynchronously by EventBridge with a queue — no dead-letter queue), and
 * its role's (see suppressRoleFindings). Call it after the function's permissions are attached.
 */
export function suppressFunctionFindings(fn: LambdaFunction, invocation: Invocation): void {
  suppress(fn, [
    { id: "AwsSolutions-L1", reason: reasons.runtimePinned },
    { id: "HIPAA.Security-LambdaConcurrency", reason: reasons.noReservedConcurrency },
    { id: "HIPAA.Security-LambdaInsideVPC", reason: reasons.notInVpc },
    ...(invocation === "eventBus" ? [] : [{ id: "HIPAA.Security-LambdaDLQ" as const, reason: deadLetterReasons[invocation] }]),
  ]);
  if (fn.role) suppressRoleFindings(fn.role);
}

/**
 * Why a statement may name a wildcard resource, by its actions. A wildcard grant whose actions
 * are not listed here fails the synthesis (suppressRoleFindings): a new one needs its reason.
 */
const wildcardReasons: Array<{ actions: RegExp; reason: string }> = [
  {
    actions: /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/,
    reason:
      "X-Ray's actions support no resource-level permissions (Service Authorization Reference, AWS X-Ray); CDK " +
      "grants them on * for active tracing (functionDefaults, state machines' tracingEnabled).",
  },
  {
    actions: /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
    reason:
      "CloudWatch Logs' log-delivery actions, which a state machine needs to log to its log group, support only " +
      "Resource * (Step Functions Developer Guide, 'IAM policies for logging to CloudWatch Logs').",
  },
  {
    actions: /^sns:Publish$/,
    reason:
      "sns:Publish to a phone number (SMS) or a push endpoint names no IAM resource (SNS's only resource type is a " +
      "topic): granted only to functions declaring sms or push (stacks/iam.ts sendPolicy).",
  },
  {
    actions: /^states:(SendTaskSuccess|SendTaskFailure)$/,
    reason:
      "SendTaskSuccess/SendTaskFailure have no resource type (Service Authorization Reference, Step Functions); a " +
      "task token is an unguessable secret, and only functions declaring sendsTaskTokens get them (stacks/iam.ts).",
  },
  {
    actions: /^ses:(SendEmail|SendRawEmail)$/,
    reason:
      "SES checks SendEmail on the sending identity and, while the account is in the SES sandbox, on each " +
      "recipient's verified identity: so this account and region's identities (identity/*), not only the stage's " +
      "From address. The configuration set is exact (stacks/iam.ts sendPolicy).",
  },
  {
    actions: /^execute-api:ManageConnections$/,
    reason:
      "PostToConnection on the WebSocket API's connections: one API, one stage, POST /@connections/* only; " +
      "connection ids exist only at run time, so no fixed resource names one (stacks/iam.ts pushPolicy).",
  },
  {
    actions: /^s3:(PutObject|GetObject)$/,
    reason:
      "The archive bucket's objects, one per archived appointment under region/clinic/yyyy/mm/: written by the " +
      "archiver or read by the admin lookup only — no listing, deleting, or other bucket (stacks/iam.ts).",
  },
];

/**
 * A role's inline policy (HIPAA IAMNoInlinePolicy) and its wildcard resources (AwsSolutions-IAM5),
 * each finding suppressed for exactly its resource pattern, with the reason of the actions granted
 * on it. Read from the role's policy as it stands: call it after every grant.
 */
export function suppressRoleFindings(role: IRole): void {
  const policy = role.node.tryFindChild("DefaultPolicy") as Policy | undefined;
  if (!policy) return;
  const stack = Stack.of(role);
  const document = stack.resolve(policy.document) as { Statement?: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> };
  const findings = new Map<string, { pattern: string; actions: Set<string> }>();
  for (const statement of document.Statement ?? []) {
    if (statement.Effect !== "Allow") continue;
    const actions = [statement.Action].flat();
    const wildcardAction = actions.find((action) => action.includes("*"));
    if (wildcardAction) throw new Error(`${role.node.path}: wildcard action ${wildcardAction}; grant the actions by name`);
    for (const resource of [statement.Resource].flat()) {
      const { text, pattern } = flatten(resource);
      if (!text.includes("*")) continue;
      const finding = findings.get(text) ?? { pattern, actions: new Set<string>() };
      for (const action of actions) finding.actions.add(action);
      findings.set(text, finding);
    }
  }
  const iam5 = [...findings].map(([text, { pattern, actions }]): Suppression => {
    const why = [...new Set([...actions].map((action) => wildcardReason(role, text, action)))];
    return { id: "AwsSolutions-IAM5", reason: why.join(" "), appliesTo: [{ regex: `/^Resource::${pattern}$/` }] };
  });
  suppress(role, [{ id: "HIPAA.Security-IAMNoInlinePolicy", reason: reasons.inlinePolicy }, ...iam5]);
}

function wildcardReason(role: IRole, resource: string, action: string): string {
  const known = wildcardReasons.find(({ actions }) => actions.test(action));
  if (!known) {
    throw new Error(`${role.node.path}: ${action} on ${resource} has no reason in stacks/nag.ts wildcardReasons`);
  }
  return known.reason;
}

/**
 * A resolved IAM resource as cdk-nag writes it in a finding (`Resource::<Id.Arn>/*`) — `text` —
 * and a regular expression matching it — `pattern`. A reference to another stack's resource reads
 * `<Id.Arn>` when cdk-nag runs before the references are resolved (one synthesis, as in
 * `sst deploy`) and `<exporting stack>:ExportsOutputFnGetAttIdArn<hash>` when it runs again on
 * an already synthesized app, so the pattern admits both.
 */
function flatten(node: unknown): { text: string; pattern: string } {
  if (typeof node === "string") {
    const text = node.replace(/\$\{/g, "<").replace(/\}/g, ">");
    return { text, pattern: escape(text) };
  }
  if (node && typeof node === "object") {
    if ("Fn::Join" in node) {
      const [separator, parts] = (node as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
      const flat = parts.map(flatten);
      return { text: flat.map((p) => p.text).join(separator), pattern: flat.map((p) => p.pattern).join(escape(separator)) };
    }
    if ("Fn::GetAtt" in node) {
      const [id, attribute] = (node as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"];
      return {
        text: `<${id}.${attribute}>`,
        pattern: `(?:<${escape(id)}\\.${escape(attribute)}>|[\\w-]+:ExportsOutputFnGetAtt${escape(id + attribute)}[0-9A-F]{8})`,
      };
    }
    if ("Ref" in node) {
      const id = (node as { Ref: string }).Ref;
      const local = `<${escape(id)}>`;
      return {
        text: `<${id}>`,
        pattern: id.startsWith("AWS::") ? local : `(?:${local}|[\\w-]+:ExportsOutputRef${escape(id)}[0-9A-F]{8})`,
      };
    }
  }
  throw new Error(`Cannot read the IAM resource ${JSON.stringify(node)}`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Lambdas that SST and CDK add to a stack for deploy-time work, by construct id: SST v2's
 * per-stack `CustomResourceHandler` (sst/constructs Stack, for SST's own custom resources such
 * as the sourcemap upload) and CDK's singleton providers. Their runtime, role and settings are
 * the library's, they run only while CloudFormation deploys, and no patient data reaches them.
 */
const deployTimeLambdas: Array<{ matches: (id: string) => boolean; name: string; extra?: Suppression[] }> = [
  { matches: (id) => id === "CustomResourceHandler", name: "SST's per-stack CustomResourceHandler (sst/constructs Stack)" },
  {
    matches: (id) => id.startsWith("AWS679f53fac002430cb0da5b7982bd2287"),
    name: "CDK's AwsCustomResource singleton Lambda (aws-cdk-lib/custom-resources), making the stack's deploy-time SDK calls",
  },
  {
    matches: (id) => id.startsWith("Custom::CDKBucketDeployment"),
    name: "CDK's BucketDeployment singleton Lambda (aws-cdk-lib/aws-s3-deployment), copying assets at deploy time",
    extra: [
      {
        id: "AwsSolutions-IAM5",
        reason: "CDK's BucketDeployment singleton reads the CDK asset bucket and writes the destination bucket's objects (bucket/*), as the library grants.",
      },
      { id: "HIPAA.Security-IAMNoInlinePolicy", reason: "CDK's BucketDeployment singleton: the library attaches its grants to its role inline." },
    ],
  },
  {
    matches: (id) => id.startsWith("LogRetention"),
    name: "CDK's LogRetention singleton Lambda (aws-cdk-lib/aws-logs), setting log groups' retention at deploy time",
  },
];

/**
 * Suppresses the findings of the deploy-time Lambdas SST and CDK add to `stack` (above). Call it
 * last in the stack function: CDK creates its singletons with the first construct that needs one.
 */
export function suppressSstInternals(stack: Stack): void {
  for (const child of stack.node.children) {
    const known = deployTimeLambdas.find(({ matches }) => matches(child.node.id));
    if (!known) continue;
    const { name } = known;
    suppress(child, [
      ...(known.extra ?? []),
      {
        id: "AwsSolutions-IAM4",
        reason: `${name}: the library creates its role with the AWS managed AWSLambdaBasicExecutionRole (writing its own logs).`,
        appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
      },
      { id: "AwsSolutions-L1", reason: `${name}: the library sets its runtime and ships its code.` },
      { id: "HIPAA.Security-LambdaConcurrency", reason: `${name}: a few invocations per deployment, never under load.` },
      {
        id: "HIPAA.Security-LambdaDLQ",
        reason: `${name}: invoked synchronously by CloudFormation, which reports a failure as a failed deployment.`,
      },
      { id: "HIPAA.Security-LambdaInsideVPC", reason: `${name}: it calls AWS APIs only, at deploy time, and never touches patient data.` },
    ]);
  }
}
