import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { tableDefinition } from "@carebook/core/entities/table";
import type { Channel } from "../functions/events/index";
import type { TableAccess } from "../functions/routes";
import type { WorkflowName } from "../functions/workflows/index";

/** Everything a read-only handler does: ElectroDB get / batchGet / query (and TransactGetItems). */
export const tableReadActions = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];

/**
 * What a writing handler adds: put / update / delete, conditional or not. There is no IAM
 * action for TransactWriteItems: DynamoDB checks each item's own action, ConditionCheckItem
 * included. Powertools idempotency records live in the same table and use the same actions.
 */
export const tableWriteActions = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
];

/**
 * The least-privilege IAM statements for a route's `table` access. Used instead of SST's
 * `bind: [table]`, which grants `dynamodb:*`. Reads name each index of the table's declaration
 * rather than `index/*`: an index added to packages/core's table.ts is granted with it.
 */
export function tablePolicy(access: TableAccess, tableArn: string): PolicyStatement[] {
  if (access === "none") return [];
  const read = new PolicyStatement({
    effect: Effect.ALLOW,
    actions: tableReadActions,
    resources: [tableArn, ...Object.keys(tableDefinition.globalIndexes).map((index) => `${tableArn}/index/${index}`)],
  });
  if (access === "read") return [read];
  // Items are only written through the table; indexes are read-only.
  const write = new PolicyStatement({
    effect: Effect.ALLOW,
    actions: tableWriteActions,
    resources: [tableArn],
  });
  return [read, write];
}

/** What a function does with the workflows: the `starts` / `sendsTaskTokens` of its table entry. */
export interface WorkflowUse {
  /** Workflows it starts: states:StartExecution on exactly those state machines. */
  starts?: readonly WorkflowName[];
  /** It resumes waiting executions with their task tokens. */
  sendsTaskTokens?: boolean;
}

export const startExecutionActions = ["states:StartExecution"];
export const taskTokenActions = ["states:SendTaskSuccess", "states:SendTaskFailure"];

/**
 * The least-privilege IAM statements for a function's use of the workflows, given each state
 * machine's ARN (stacks/Workflows.ts). Used by the route functions (Api) and the workflows'
 * own functions (Workflows) alike.
 */
export function workflowPolicy(
  use: WorkflowUse,
  stateMachineArns: Record<WorkflowName, string>,
): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  const starts = [...new Set(use.starts ?? [])];
  if (starts.length > 0) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: startExecutionActions,
        resources: starts.map((name) => stateMachineArns[name]),
      }),
    );
  }
  if (use.sendsTaskTokens) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: taskTokenActions,
        // "*" because nothing narrower is documented to work: the Service Authorization
        // Reference ("Actions, resources, and condition keys for AWS Step Functions") lists no
        // resource type for SendTaskSuccess / SendTaskFailure, which means "you must specify
        // all resources (*)", and the IAM console and policy simulator agree. (Our tokens come
        // from `lambda:invoke.waitForTaskToken` Task states, not from activities.) CDK's
        // `grantTaskResponse` uses the state machine ARN, reported to work in
        // aws/aws-cdk#8486, but relying on undocumented scoping risks AccessDenied later.
        // What bounds this grant instead: a task token is an unguessable secret, and only the
        // functions that declare `sendsTaskTokens` get these actions at all.
        resources: ["*"],
      }),
    );
  }
  return statements;
}

/**
 * What Lambda's event-source mapping does with the table's stream, on the function's behalf.
 * The four actions of the DynamoDB Developer Guide's "IAM policy to allow an AWS Lambda
 * function to access DynamoDB stream records", there on `table/<name>/stream/*`; here on the
 * one stream ARN. Used instead of CDK's `grantStreamRead` (what `DynamoEventSource` calls),
 * which puts `dynamodb:ListStreams` on Resource "*".
 */
export const streamReadActions = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
  "dynamodb:ListStreams",
];

export function streamReadPolicy(streamArn: string): PolicyStatement[] {
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: streamReadActions, resources: [streamArn] })];
}

export const publishActions = ["events:PutEvents"];

/** events:PutEvents on the one bus, for a function that `publishes`; nothing otherwise. */
export function publishPolicy(publishes: boolean | undefined, eventBusArn: string): PolicyStatement[] {
  if (!publishes) return [];
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: publishActions, resources: [eventBusArn] })];
}

export const emailActions = ["ses:SendEmail", "ses:SendRawEmail"];
export const notifyActions = ["sns:Publish"];

/** Where a function that `sends` may send from, in this stage's account and region. */
export interface SendResources {
  /** SES identities (`arn:…:ses:<region>:<account>:identity/*`). */
  emailIdentities: string;
  /** The stage's one SES configuration set (`arn:…:ses:<region>:<account>:configuration-set/<name>`). */
  emailConfigurationSet: string;
  /** The SSM parameters of the stage's Web Push key pair (functions/lib/channels/web-push.ts). */
  webPushKeyParameters: readonly string[];
}

export const readParameterActions = ["ssm:GetParameters"];

/** Reading exactly these SSM parameters (SecureStrings under the account's aws/ssm key, which
 * SSM decrypts for a caller allowed to read the parameter). */
export function parameterReadPolicy(parameterArns: readonly string[]): PolicyStatement[] {
  if (parameterArns.length === 0) return [];
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: readParameterActions, resources: [...parameterArns] })];
}

/**
 * The least-privilege IAM statements for the channels an event consumer `sends` on.
 *
 * Email: SES authorizes SendEmail / SendRawEmail on the sending identity (required) and on the
 * configuration set if the request names one (Service Authorization Reference, Amazon SES): the
 * identities of this stage's account and region, and exactly the stage's configuration set (every
 * message names it). `identity/*` rather than the stage's sender because, while an account is in
 * the SES sandbox, SES also checks the action on each recipient's (verified) identity; and no
 * stage declares its sending identity yet. Narrow it (or add an `ses:FromAddress` condition) once
 * the notification issue decides it and production accounts are out of the sandbox.
 *
 * Push also reads the stage's Web Push key pair: `ssm:GetParameters` on exactly its two parameters.
 *
 * SMS and push: `sns:Publish` on Resource "*" — nothing narrower is documented to work. The
 * Service Authorization Reference's only resource type for Publish is `topic`; a message to a
 * phone number names no resource at all, and a push message names a platform endpoint, which
 * is not an IAM resource type. What bounds the grant instead: only functions declaring `sms`
 * or `push` get it. (Moving SMS to AWS End User Messaging's `sms-voice:SendTextMessage`
 * would allow scoping to a phone pool or origination identity.)
 */
export function sendPolicy(sends: readonly Channel[] | undefined, resources: SendResources): PolicyStatement[] {
  const channels = new Set(sends ?? []);
  const statements: PolicyStatement[] = [];
  if (channels.has("email")) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: emailActions,
        resources: [resources.emailIdentities, resources.emailConfigurationSet],
      }),
    );
  }
  if (channels.has("sms") || channels.has("push")) {
    statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions: notifyActions, resources: ["*"] }));
  }
  // Web Push signs with the stage's VAPID key pair.
  if (channels.has("push")) statements.push(...parameterReadPolicy(resources.webPushKeyParameters));
  return statements;
}

export const invokeActions = ["lambda:InvokeFunction"];

/**
 * What a state machine needs to run its Lambdas: InvokeFunction on their unqualified ARNs — what
 * its definition names (definitionSubstitutions) — and not on their versions and aliases
 * (`<arn>:*`), which CDK's `grantInvoke` adds.
 */
export function invokePolicy(functionArns: readonly string[]): PolicyStatement[] {
  if (functionArns.length === 0) return [];
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: invokeActions, resources: [...functionArns] })];
}

export const archiveWriteActions = ["s3:PutObject"];
export const archiveReadActions = ["s3:GetObject"];

/**
 * The archive bucket's objects: written by the archiver (`archives`), read by the admin's
 * archive lookup (`readsArchive`). No kms:* — the bucket's key is the AWS managed aws/s3, whose
 * key policy lets any principal of the account with S3 access use it through S3.
 */
export function archiveWritePolicy(archives: boolean | undefined, bucketArn: string): PolicyStatement[] {
  if (!archives) return [];
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: archiveWriteActions, resources: [`${bucketArn}/*`] })];
}

export function archiveReadPolicy(readsArchive: boolean | undefined, bucketArn: string): PolicyStatement[] {
  if (!readsArchive) return [];
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: archiveReadActions, resources: [`${bucketArn}/*`] })];
}

export const manageConnectionsActions = ["execute-api:ManageConnections"];

/**
 * What pushing to a WebSocket API's clients takes: `execute-api:ManageConnections` on
 * `POST /@connections/*` of one API's one stage (PostToConnection; a gone connection's items
 * are deleted in the table, never through the API) — not CDK's `grantManageConnections` or
 * SST's `*` / `*` / `@connections/*`, which also allow GET and DELETE on every stage.
 * `connectionsArn` is that ARN (stacks/Realtime.ts builds it); the connection ids themselves
 * exist only at run time, hence its `*`.
 */
export function pushPolicy(connectionsArn: string): PolicyStatement[] {
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: manageConnectionsActions, resources: [connectionsArn] })];
}

/**
 * What functions/lib/staff-accounts.ts calls: invite (create; on an existing e-mail, get),
 * find by `sub` (ListUsers with a filter), and sync (get, groups listed, added and removed,
 * disable with global sign-out, enable). Nothing that reads or sets passwords or MFA.
 */
export const staffAccountActions = [
  "cognito-idp:AdminCreateUser",
  "cognito-idp:AdminGetUser",
  "cognito-idp:ListUsers",
  "cognito-idp:AdminListGroupsForUser",
  "cognito-idp:AdminAddUserToGroup",
  "cognito-idp:AdminRemoveUserFromGroup",
  "cognito-idp:AdminDisableUser",
  "cognito-idp:AdminEnableUser",
  "cognito-idp:AdminUserGlobalSignOut",
];

/** Those actions on the staff pool only, for a route that `managesStaffAccounts`; nothing otherwise. */
export function staffAccountsPolicy(managesStaffAccounts: boolean | undefined, staffPoolArn: string): PolicyStatement[] {
  if (!managesStaffAccounts) return [];
  return [new PolicyStatement({ effect: Effect.ALLOW, actions: staffAccountActions, resources: [staffPoolArn] })];
}
