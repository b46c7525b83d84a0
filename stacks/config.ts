import { RemovalPolicy, Stack } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { FunctionProps, Stack as SstStack } from "sst/constructs";

/**
 * Per-stage settings of the stacks. One stage deploys one Carebook region (its data lives
 * in the AWS region the stage is deployed to).
 */
export interface StageConfig {
  /** The Carebook data region id, handed to every handler as `CAREBOOK_REGION_ID`. */
  regionId: string;
  /**
   * A throwaway stage — a developer's `dev*` stage or the `test` stage the stack tests
   * synthesize — whose data may be destroyed with the stack. Every other stage keeps its data.
   */
  ephemeral: boolean;
  /** The verified SES identity notifications are sent from (`CAREBOOK_EMAIL_FROM`). */
  emailFrom: string;
  /**
   * The AWS region the stage's home app (every stack but the edge WebACL) is deployed to. The
   * edge app (stacks/Waf.ts, in us-east-1) writes its WebACL's ARN into this region's SSM.
   */
  homeRegion: string;
  /**
   * The stage's edge app is deployed (`CAREBOOK_APP=edge npx sst deploy --stage <stage>`), so the
   * API's CloudFront distribution attaches its WebACL. Off for developers' `dev*` stages, which
   * deploy no edge app; the API is then only throttled, not filtered.
   */
  edgeWebAcl: boolean;
  /**
   * Geo-blocking at the edge WebACL (ISO 3166-1 alpha-2 codes): requests from outside
   * `allowedCountries`, or from inside `blockedCountries`, are blocked. At most one of the two;
   * neither (the default) blocks nothing by origin.
   */
  allowedCountries?: readonly string[];
  blockedCountries?: readonly string[];
  /** A hospital's identity provider that staff sign in with (federated into the staff pool). */
  staffIdentityProvider?: StaffIdentityProvider;
  /**
   * The web app's own domain (stacks/Web.ts), e.g. `app.clinic.example`, in a Route 53 hosted
   * zone of this account (by id and name: no lookup at synthesis): CloudFront serves the app
   * there with an ACM certificate validated in the zone. Without it the app is at its
   * distribution's `*.cloudfront.net` address. Either way the user pools send sign-ins back to
   * the app's addresses (stacks/Auth.ts).
   */
  webDomain?: { domainName: string; hostedZone: { hostedZoneId: string; zoneName: string } };
  /**
   * Prefix of the user pools' sign-in domains, `<prefix>-patients` and `<prefix>-staff`
   * (`.auth.<region>.amazoncognito.com`, unique among all AWS accounts in the region). Default
   * `carebook-<stage>`.
   */
  cognitoDomainPrefix: string;
}

/** What every federated provider has. */
interface StaffFederation {
  /** Provider name as Cognito shows and the app's `identity_provider` parameter names it. */
  name: string;
}

export interface StaffSamlProvider extends StaffFederation {
  type: "saml";
  /** The hospital IdP's SAML metadata document URL (re-read by Cognito every few hours). */
  metadataUrl: string;
  /** The assertion attribute holding the e-mail; default the Microsoft/ADFS claim URI. */
  emailAttribute?: string;
}

export interface StaffOidcProvider extends StaffFederation {
  type: "oidc";
  issuerUrl: string;
  clientId: string;
  /**
   * Secrets Manager ARN of the client secret. Required: Cognito federates as a confidential
   * client (it redeems the authorization code at the IdP's token endpoint with the secret).
   */
  clientSecretArn: string;
  /** Default `openid email profile`. */
  scopes?: readonly string[];
}

export type StaffIdentityProvider = StaffSamlProvider | StaffOidcProvider;

/**
 * Per-stage settings that differ from the defaults, by stage name: what a stage's operators
 * decide (its hospital's identity provider, its countries). Reviewed like code; secrets go by
 * ARN, never by value. Stack tests add entries for stages of their own.
 */
export type StageSettings = Partial<
  Pick<
    StageConfig,
    "homeRegion" | "edgeWebAcl" | "allowedCountries" | "blockedCountries" | "staffIdentityProvider" | "webDomain" | "cognitoDomainPrefix"
  >
>;

export const stageSettings: Record<string, StageSettings> = {};

/**
 * The two SST apps of a stage. SST v2 deploys every stack of an app through one CloudFormation
 * client in the app's region (a Stack may not even set `env`), and a CloudFront WebACL can only
 * be created in us-east-1 — so the edge WebACL is an app of its own (docs/auth-and-edge.md).
 */
export const apps = {
  home: { name: "carebook", region: "eu-west-1" },
  edge: { name: "carebook-edge", region: "us-east-1" },
} as const;

export function stageConfig(stage: string): StageConfig {
  const settings = stageSettings[stage] ?? {};
  const config: StageConfig = {
    // Read at synth time; `sst` also loads `.env.<stage>` into process.env before that,
    // so a stage can pin its region id there until the stage → region mapping lands.
    regionId: process.env.CAREBOOK_REGION_ID || "eu-west",
    ephemeral: stage === "test" || stage.startsWith("dev"),
    emailFrom: process.env.CAREBOOK_EMAIL_FROM || "Carebook <no-reply@carebook.example>",
    homeRegion: process.env.CAREBOOK_HOME_REGION || apps.home.region,
    edgeWebAcl: !stage.startsWith("dev"),
    cognitoDomainPrefix: `carebook-${stage.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-+$/, "")}`,
    ...settings,
  };
  if (config.allowedCountries?.length && config.blockedCountries?.length) {
    throw new Error(`Stage ${stage}: set allowedCountries or blockedCountries, not both`);
  }
  return config;
}

/**
 * A user pool's Cognito domain: `<prefix>-<pool>`, checked against Cognito's rules for a prefix
 * domain (lowercase letters, digits, inner hyphens; at most 63 characters; no "aws", "amazon" or
 * "cognito"), so a bad one fails the synthesis rather than the deployment.
 */
export function cognitoDomainPrefixOf(stage: string, prefix: string, pool: string): string {
  const domain = `${prefix}-${pool}`;
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(domain) || domain.length > 63 || /aws|amazon|cognito/.test(domain)) {
    throw new Error(
      `Stage ${stage}: the Cognito domain "${domain}" is not valid: set cognitoDomainPrefix (stacks/config.ts) to lowercase letters, ` +
        `digits and inner hyphens, at most 54 characters, without "aws", "amazon" or "cognito"`,
    );
  }
  return domain;
}

/** "Name <address>" or "address" (`emailFrom`) → the sender's address and name. */
export function senderOf(emailFrom: string): { fromEmail: string; fromName?: string } {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(emailFrom);
  return match ? { fromEmail: match[2]!, fromName: match[1] || undefined } : { fromEmail: emailFrom.trim() };
}

/**
 * Settings every Carebook Lambda shares, HTTP routes and workflow steps alike. Stated even
 * where they are SST 2.49.8's defaults (nodejs22.x, active tracing), so an SST upgrade cannot
 * change them. Not here, by decision (stacks/nag.ts has the reasons): reserved concurrency and a
 * VPC. Per function rather than shared: its log group and role (functionLogging).
 */
export const functionDefaults = {
  runtime: "nodejs22.x",
  architecture: "arm_64",
  memorySize: 512,
  timeout: 10,
  // X-Ray: a request's trace continues through the Step Functions executions it starts.
  tracing: "active",
  environment: { POWERTOOLS_SERVICE_NAME: "carebook" },
} as const satisfies FunctionProps;

/**
 * How long CloudWatch keeps the logs of Carebook's functions and state machines. They may carry
 * request details; the audit trail is the table's hash chain and the archive's access logs, not these.
 */
export const logRetention = RetentionDays.THREE_MONTHS;

/**
 * functionDefaults plus what every function of a stack using the table is told: the table's name
 * and the stage's Carebook region id. For `stack.setDefaultFunctionProps` (Workflows, Events) and
 * the Api's `defaults.function`.
 */
export function tableFunctionDefaults(stage: string, table: { tableName: string }) {
  return {
    ...functionDefaults,
    environment: {
      ...functionDefaults.environment,
      TABLE_NAME: table.tableName,
      CAREBOOK_REGION_ID: stageConfig(stage).regionId,
    },
  } satisfies FunctionProps;
}

/**
 * A function's own log group and execution role, to spread into its props. The group is
 * encrypted with the stage's logs key (Storage) and expires after `logRetention` — Lambda's
 * implicit `/aws/lambda/…` group would keep everything forever, unencrypted by a key of ours.
 * The role may write to that group only — instead of AWSLambdaBasicExecutionRole, which allows
 * creating and writing every log group of the account. Retained with the stage's data unless
 * the stage is throwaway.
 */
export function functionLogging(scope: Construct, id: string, logsKey: IKey): { logGroup: LogGroup; role: Role } {
  const { ephemeral } = stageConfig((Stack.of(scope) as SstStack).stage);
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    encryptionKey: logsKey,
    retention: logRetention,
    removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    description: `Runs ${id}: its own log group, and what its declaration grants (stacks/iam.ts)`,
  });
  logGroup.grantWrite(role);
  return { logGroup, role };
}

/**
 * An API Gateway stage's access log group: under /aws/vendedlogs/ (as SST names its own: CloudWatch
 * Logs then needs no resource-policy statement per group for API Gateway's deliveries, and that
 * policy has a size limit), encrypted with the stage's logs key, expiring, retained with the
 * stage's data unless the stage is throwaway. For the HTTP API (Api) and the WebSocket API (Realtime).
 */
export function accessLogGroup(scope: Construct, id: string, apiName: string, logsKey: IKey): LogGroup {
  const { ephemeral } = stageConfig((Stack.of(scope) as SstStack).stage);
  return new LogGroup(scope, id, {
    logGroupName: `/aws/vendedlogs/apis/${apiName}`,
    encryptionKey: logsKey,
    retention: logRetention,
    removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
}
