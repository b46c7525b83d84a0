import { ArnFormat, Aws, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { CfnLoggingConfiguration, CfnWebACL } from "aws-cdk-lib/aws-wafv2";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from "aws-cdk-lib/custom-resources";
import { NagSuppressions } from "cdk-nag";
import type { Construct } from "constructs";
import type { Stack as SstStack, StackContext } from "sst/constructs";
import { apps, logRetention, stageConfig } from "./config";
import { suppress, suppressSstInternals } from "./nag";

/**
 * AWS WAF for Carebook: the building blocks both WebACLs share, and the edge app's stack.
 *
 * - The edge WebACL (this file's stack, scope CLOUDFRONT) filters every request to the HTTP API:
 *   WAF cannot attach to an API Gateway HTTP API, so the API is served through a CloudFront
 *   distribution (stacks/Edge.ts) and the WebACL attaches to that. A CLOUDFRONT WebACL must be
 *   created in us-east-1, and SST v2 deploys all stacks of an app to the app's one region, so
 *   this stack is an SST app of its own ("carebook-edge", us-east-1), deployed per stage before
 *   the home app: `CAREBOOK_APP=edge npx sst deploy --stage <stage>`.
 * - The Cognito WebACL (stacks/Auth.ts, scope REGIONAL) sits in front of both user pools.
 */

/** Evaluation window of every rate-based rule. */
const RATE_WINDOW_SECONDS = 300;

/** Where the edge app leaves its WebACL's ARN for the home app (an SSM parameter in the home region). */
export function edgeWebAclParameterName(stage: string): string {
  return `/${apps.home.name}/${stage}/edge/web-acl-arn`;
}

function visibility(metricName: string): CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

export interface RateRule {
  name: string;
  /** Requests per IP per 5 minutes (WAF counts per source IP over a sliding 5-minute window). */
  limit: number;
  /** Only requests matching this count towards the limit (all requests when unset). */
  scopeDown?: CfnWebACL.StatementProperty;
}

export interface WebAclSpec {
  scope: "CLOUDFRONT" | "REGIONAL";
  /** The WebACL's name (and the prefix of its metrics and log group). */
  name: string;
  description: string;
  rateRules: readonly RateRule[];
  /** Answer rate-limited requests with 429 instead of WAF's 403 (not every resource type supports custom responses). */
  rateLimitStatus429?: boolean;
  allowedCountries?: readonly string[];
  blockedCountries?: readonly string[];
  /** The stage's CloudWatch Logs key, where the WebACL is in the home region (Storage's). */
  logsKey?: IKey;
}

/** An AWS managed rule group, its own rules' actions kept (blocks stay blocks). */
function managedRuleGroup(name: string, prefix: string): Omit<CfnWebACL.RuleProperty, "priority"> {
  return {
    name,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name } },
    visibilityConfig: visibility(`${prefix}-${name}`),
  };
}

/**
 * The rules of a WebACL that allows by default. They block, in this order: Amazon's IP
 * reputation list (botnets, scanners — cheapest to evaluate, so first), requests by country if
 * the stage says so, callers over a rate limit, known bad inputs (Log4Shell-style payloads,
 * exploit paths), and the common rule set (OWASP-style: oversized bodies, XSS, path traversal,
 * bad bots' user agents).
 *
 * No SQL-injection rule group: nothing behind the API speaks SQL (DynamoDB through ElectroDB's
 * built expressions, every input parsed by zod), and its patterns match ordinary free text —
 * an appointment's reason, a patient's name with an apostrophe — so it would block patients
 * for an attack that cannot work here.
 */
function rules(spec: WebAclSpec): CfnWebACL.RuleProperty[] {
  const prefix = spec.name;
  const blocks: Array<Omit<CfnWebACL.RuleProperty, "priority">> = [];
  blocks.push(managedRuleGroup("AWSManagedRulesAmazonIpReputationList", prefix));
  if (spec.allowedCountries?.length) {
    blocks.push({
      name: "OutsideAllowedCountries",
      action: { block: {} },
      statement: { notStatement: { statement: { geoMatchStatement: { countryCodes: [...spec.allowedCountries] } } } },
      visibilityConfig: visibility(`${prefix}-OutsideAllowedCountries`),
    });
  }
  if (spec.blockedCountries?.length) {
    blocks.push({
      name: "BlockedCountries",
      action: { block: {} },
      statement: { geoMatchStatement: { countryCodes: [...spec.blockedCountries] } },
      visibilityConfig: visibility(`${prefix}-BlockedCountries`),
    });
  }
  for (const rule of spec.rateRules) {
    blocks.push({
      name: rule.name,
      action: { block: spec.rateLimitStatus429 ? { customResponse: { responseCode: 429 } } : {} },
      statement: {
        rateBasedStatement: {
          limit: rule.limit,
          aggregateKeyType: "IP",
          evaluationWindowSec: RATE_WINDOW_SECONDS,
          ...(rule.scopeDown ? { scopeDownStatement: rule.scopeDown } : {}),
        },
      },
      visibilityConfig: visibility(`${prefix}-${rule.name}`),
    });
  }
  blocks.push(managedRuleGroup("AWSManagedRulesKnownBadInputsRuleSet", prefix));
  blocks.push(managedRuleGroup("AWSManagedRulesCommonRuleSet", prefix));
  return blocks.map((rule, priority) => ({ ...rule, priority }) as CfnWebACL.RuleProperty);
}

/**
 * The WebACL, and its log: blocked and counted requests only (what an investigation needs; all
 * allowed requests would cost more than the WAF), to a CloudWatch log group kept 90 days, with
 * the Authorization header redacted so no bearer token lands in a log.
 */
export function protectiveWebAcl(scope: Construct, id: string, spec: WebAclSpec) {
  const webAcl = new CfnWebACL(scope, id, {
    name: spec.name,
    description: spec.description,
    scope: spec.scope,
    defaultAction: { allow: {} },
    rules: rules(spec),
    visibilityConfig: visibility(spec.name),
  });

  const logGroup = new LogGroup(scope, `${id}Log`, {
    // WAF only logs to log groups whose name starts with this.
    logGroupName: `aws-waf-logs-${spec.name}`,
    retention: logRetention,
    encryptionKey: spec.logsKey,
    // Security logs outlive the stack, like the stage's data (throwaway stages excepted).
    removalPolicy: stageConfig((Stack.of(scope) as SstStack).stage).ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  if (!spec.logsKey) {
    NagSuppressions.addResourceSuppressions(logGroup, [
      {
        id: "HIPAA.Security-CloudWatchLogGroupEncrypted",
        reason:
          "The edge app (us-east-1) has no key of the stage's; metadata of blocked requests only (address, country, path, headers without Authorization), no patient data, encrypted at rest by CloudWatch Logs.",
      },
    ]);
  }
  const stack = Stack.of(scope);
  new CfnLoggingConfiguration(scope, `${id}Logging`, {
    resourceArn: webAcl.attrArn,
    // The log group's ARN without the `:*` that LogGroup.logGroupArn ends in (WAF refuses it).
    logDestinationConfigs: [
      stack.formatArn({
        service: "logs",
        resource: "log-group",
        resourceName: logGroup.logGroupName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ],
    redactedFields: [{ singleHeader: { Name: "authorization" } }],
    loggingFilter: {
      DefaultBehavior: "DROP",
      Filters: [
        {
          Behavior: "KEEP",
          Requirement: "MEETS_ANY",
          Conditions: [{ ActionCondition: { Action: "BLOCK" } }, { ActionCondition: { Action: "COUNT" } }],
        },
      ],
    },
  });

  return { webAcl, logGroup };
}

/** Requests that change something: POST, PUT, PATCH, DELETE. */
const writeMethods: CfnWebACL.StatementProperty = {
  regexMatchStatement: {
    regexString: "^(POST|PUT|PATCH|DELETE)$",
    fieldToMatch: { method: {} },
    textTransformations: [{ priority: 0, type: "NONE" }],
  },
};

/**
 * Per-IP limits at the edge. Generous, because a hospital's staff share one egress IP (NAT):
 * 6000 requests per 5 minutes is 20 a second from one address; writes (bookings, answers,
 * decisions) 600 — 2 a second. The per-route ceilings for all callers together are the API
 * stage's (stacks/throttle.ts).
 */
export const edgeRateRules: readonly RateRule[] = [
  { name: "RatePerIp", limit: 6000 },
  { name: "WriteRatePerIp", limit: 600, scopeDown: writeMethods },
];

/**
 * The edge app's only stack (us-east-1): the CLOUDFRONT WebACL the API's distribution attaches,
 * and its ARN written to an SSM parameter in the stage's home region, where the home app's Edge
 * stack reads it as a CloudFormation parameter (resolved again on every deployment).
 */
export function Waf({ app, stack }: StackContext) {
  if (stack.region !== apps.edge.region) {
    throw new Error(`The edge WebACL (scope CLOUDFRONT) must be deployed to ${apps.edge.region}, not ${stack.region}`);
  }
  const { homeRegion, allowedCountries, blockedCountries } = stageConfig(stack.stage);

  const { webAcl } = protectiveWebAcl(stack, "ApiWebAcl", {
    scope: "CLOUDFRONT",
    name: app.logicalPrefixedName("api"),
    description: "Carebook API at the edge: IP reputation, geo, rate per IP, bad inputs, common rules",
    rateRules: edgeRateRules,
    rateLimitStatus429: true,
    allowedCountries,
    blockedCountries,
  });

  // The ARN crosses regions through SSM: a CloudFormation stack can only read its own region's
  // parameters. (CDK's crossRegionReferences does the same with its own custom resources, but
  // only between stacks of one CDK app deployed by the CDK CLI.)
  const parameterName = edgeWebAclParameterName(stack.stage);
  const put = {
    service: "SSM",
    action: "putParameter",
    region: homeRegion,
    parameters: { Name: parameterName, Value: webAcl.attrArn, Type: "String", Overwrite: true },
    physicalResourceId: PhysicalResourceId.of(parameterName),
  };
  const writer = new AwsCustomResource(stack, "WebAclArnParameter", {
    onCreate: put,
    onUpdate: put,
    onDelete: {
      service: "SSM",
      action: "deleteParameter",
      region: homeRegion,
      parameters: { Name: parameterName },
      ignoreErrorCodesMatching: "ParameterNotFound",
    },
    policy: AwsCustomResourcePolicy.fromSdkCalls({
      resources: [
        `arn:${Aws.PARTITION}:ssm:${homeRegion}:${Aws.ACCOUNT_ID}:parameter${parameterName}`,
      ],
    }),
    installLatestAwsSdk: false,
  });
  suppress(writer, [
    {
      id: "HIPAA.Security-IAMNoInlinePolicy",
      reason: "CDK's AwsCustomResource policy for this one call: ssm:PutParameter/DeleteParameter on the one parameter's ARN.",
    },
  ]);
  // The Lambda CDK runs AwsCustomResource calls with (one per stack), at deployment only.
  const provider = stack.node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, "")}`);
  if (provider) {
    const cdk = "CDK's AwsCustomResource provider, run by CloudFormation at deployment only to write one SSM parameter";
    suppress(provider, [
      {
        id: "AwsSolutions-IAM4",
        reason: `${cdk}: CDK creates its role with the AWS managed AWSLambdaBasicExecutionRole (its own logs only).`,
        appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
      },
      { id: "AwsSolutions-L1", reason: `${cdk}: CDK sets its runtime (the latest it knows).` },
      { id: "HIPAA.Security-LambdaConcurrency", reason: `${cdk}: a few invocations per deployment, never under load.` },
      {
        id: "HIPAA.Security-LambdaDLQ",
        reason: `${cdk}: invoked synchronously by CloudFormation, which reports a failure as a failed deployment.`,
      },
      { id: "HIPAA.Security-LambdaInsideVPC", reason: `${cdk}: it calls only the SSM API and never touches patient data.` },
    ]);
  }
  suppressSstInternals(stack);

  stack.addOutputs({ WebAclArn: webAcl.attrArn, WebAclArnParameter: `${homeRegion}:${parameterName}` });
  return { webAcl };
}
