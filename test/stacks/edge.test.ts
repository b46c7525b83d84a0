/**
 * Edge protection, synthesized offline: the home app's Edge stack (the CloudFront distribution
 * in front of the HTTP API) and the edge app's Waf stack (the CLOUDFRONT WebACL in us-east-1,
 * its ARN handed to the home region through SSM). The test stage of both apps as the run
 * synthesized it once (test/stacks/global-setup.ts); a developer's stage and stages with
 * countries of this file's own are built here, unfinished.
 */
import { Template } from "aws-cdk-lib/assertions";
import { CachePolicy, OriginRequestPolicy, ResponseHeadersPolicy } from "aws-cdk-lib/aws-cloudfront";
import { getStack } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER } from "../../functions/auth/pools";
import { Api } from "../../stacks/Api";
import { apps, type StageSettings, stageConfig, stageSettings } from "../../stacks/config";
import { Edge } from "../../stacks/Edge";
import { edgeRateRules, edgeWebAclParameterName, Waf } from "../../stacks/Waf";
import {
  account,
  actionsOf,
  allStatements,
  buildApp,
  initProjectInBeforeAll,
  onlyOfType,
  referencedId,
  render,
  type Resources,
  resourcesFor,
  resourcesOf,
  synthesisOf,
} from "./synth";

initProjectInBeforeAll("edge");

const testStages: Record<string, StageSettings> = {
  "test-geo-allow": { allowedCountries: ["GB", "NL", "DE"] },
  "test-geo-block": { blockedCountries: ["KP"] },
  "test-elsewhere": { homeRegion: "eu-central-1" },
  "test-both": { allowedCountries: ["GB"], blockedCountries: ["KP"] },
};

let edgeTemplate: Template;
let edge: Resources;
let api: Template;
let devEdge: Resources;
let waf: Resources;
let wafTemplate: Template;
let geoAllow: Resources;
let geoBlock: Resources;

beforeAll(() => {
  edgeTemplate = synthesisOf("test").template(Edge);
  edge = resourcesOf(edgeTemplate);
  api = synthesisOf("test").template(Api);
  wafTemplate = synthesisOf("test", "edge").template(Waf);
  waf = resourcesOf(wafTemplate);
  Object.assign(stageSettings, testStages);
  // A new App replaces SST's global app: each app's templates are taken before the next.
  buildApp("dev-alice");
  devEdge = resourcesOf(Template.fromStack(getStack(Edge)));
  buildApp("test-geo-allow", apps.edge);
  geoAllow = resourcesOf(Template.fromStack(getStack(Waf)));
  buildApp("test-geo-block", apps.edge);
  geoBlock = resourcesOf(Template.fromStack(getStack(Waf)));
}, 60_000);

afterAll(() => {
  for (const stage of Object.keys(testStages)) delete stageSettings[stage];
});

function distributionConfig(resources: Resources) {
  return onlyOfType(resources, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig;
}

/** `{ "Fn::ImportValue": name }` → the logical id the exporting output of `template` references. */
function importedId(template: Template, value: unknown): string {
  const name = (value as { "Fn::ImportValue": string })["Fn::ImportValue"];
  const output = Object.values(template.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>).find(
    (o) => o.Export?.Name === name,
  );
  expect(output, `export ${name}`).toBeDefined();
  return referencedId(output!.Value)!;
}

/** `{{resolve:secretsmanager:<ref>:SecretString:::}}` as an Fn::Join → <ref>. */
function secretReferenced(value: unknown): unknown {
  const [separator, parts] = (value as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
  expect(separator).toBe("");
  expect(parts).toHaveLength(3);
  expect(parts[0]).toBe("{{resolve:secretsmanager:");
  expect(parts[2]).toBe(":SecretString:::}}");
  return parts[1];
}

describe("Edge stack: the API's CloudFront distribution", () => {
  it("forwards to the HTTP API's own endpoint over TLS 1.2 only", () => {
    const [origin] = distributionConfig(edge).Origins;
    expect(origin.CustomOriginConfig).toEqual({ OriginProtocolPolicy: "https-only", OriginSSLProtocols: ["TLSv1.2"] });
    const [, [apiId, suffix, urlSuffix]] = origin.DomainName["Fn::Join"];
    const apiResource = resourcesOf(api)[importedId(api, apiId)]!;
    expect(apiResource.Type).toBe("AWS::ApiGatewayV2::Api");
    expect(suffix).toBe(`.execute-api.${apps.home.region}.`);
    expect(urlSuffix).toEqual({ Ref: "AWS::URLSuffix" });
  });

  it("caches nothing, passes every method and viewer header but Host, over HTTPS only, with security headers", () => {
    expect(distributionConfig(edge).DefaultCacheBehavior).toMatchObject({
      AllowedMethods: expect.arrayContaining(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]),
      CachePolicyId: CachePolicy.CACHING_DISABLED.cachePolicyId,
      OriginRequestPolicyId: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
      ResponseHeadersPolicyId: ResponseHeadersPolicy.SECURITY_HEADERS.responseHeadersPolicyId,
      ViewerProtocolPolicy: "https-only",
    });
  });

  it("sends the origin secret the authorizer requires — the same secret on both ends", () => {
    const [origin] = distributionConfig(edge).Origins;
    expect(origin.OriginCustomHeaders).toHaveLength(1);
    expect(origin.OriginCustomHeaders[0].HeaderName).toBe(ORIGIN_VERIFY_HEADER);
    const sentSecret = importedId(api, secretReferenced(origin.OriginCustomHeaders[0].HeaderValue));

    const apiResources = resourcesOf(api);
    const [, authorizer] = onlyOfType(apiResources, "AWS::ApiGatewayV2::Authorizer");
    const authorizerFn = apiResources[referencedId(authorizer.Properties.AuthorizerUri["Fn::Join"][1][3])!]!;
    const expected = referencedId(secretReferenced(authorizerFn.Properties.Environment.Variables[ORIGIN_VERIFY_ENV]));
    expect(sentSecret).toBe(expected);
    expect(apiResources[expected!]!.Type).toBe("AWS::SecretsManager::Secret");
    expect(authorizer.Properties.IdentitySource).toContain(`$request.header.${ORIGIN_VERIFY_HEADER}`);
  });

  it("attaches the edge WebACL whose ARN the edge app left in this region's SSM", () => {
    const parameterId = referencedId(distributionConfig(edge).WebACLId)!;
    const parameters = edgeTemplate.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(parameters[parameterId]).toEqual({
      Type: "AWS::SSM::Parameter::Value<String>",
      Default: edgeWebAclParameterName("test"),
    });
  });

  it("logs every request to a private, encrypted bucket that forgets after 90 days", () => {
    const [bucketId, bucket] = onlyOfType(edge, "AWS::S3::Bucket");
    expect(referencedId(distributionConfig(edge).Logging.Bucket)).toBe(bucketId);
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 90, Status: "Enabled" })] },
    });
  });

  it("outputs the distribution's URL as the API URL, and the API stack its origin URL", () => {
    expect(render(edgeTemplate.toJSON().Outputs.ApiUrl.Value)).toBe(
      `https://\${GetAtt:${onlyOfType(edge, "AWS::CloudFront::Distribution")[0]}.DomainName}`,
    );
    api.hasOutput("OriginUrl", {});
  });

  it("attaches no WebACL on a developer's stage, which deploys no edge app", () => {
    expect(stageConfig("dev-alice").edgeWebAcl).toBe(false);
    expect(distributionConfig(devEdge).WebACLId).toBeUndefined();
  });

  it("refuses a stage whose edge app writes the WebACL's ARN to another region", () => {
    expect(() => buildApp("test-elsewhere")).toThrow(/writes its WebACL.s ARN to eu-central-1/);
  });
});

function webAcl(resources: Resources) {
  return onlyOfType(resources, "AWS::WAFv2::WebACL");
}

function rules(resources: Resources): Array<Record<string, any>> {
  return webAcl(resources)[1].Properties.Rules;
}

describe("Waf stack: the edge WebACL (us-east-1)", () => {
  it("is a CLOUDFRONT WebACL that allows what no rule blocks", () => {
    expect(webAcl(waf)[1].Properties).toMatchObject({
      Scope: "CLOUDFRONT",
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true },
    });
  });

  it("checks IP reputation, then rates per IP, then known bad inputs and the common rule set — no SQL rules", () => {
    const list = rules(waf);
    expect(list.map((r) => r.Name)).toEqual([
      "AWSManagedRulesAmazonIpReputationList",
      ...edgeRateRules.map((r) => r.name),
      "AWSManagedRulesKnownBadInputsRuleSet",
      "AWSManagedRulesCommonRuleSet",
    ]);
    expect(list.map((r) => r.Priority)).toEqual(list.map((_, i) => i));
    expect(JSON.stringify(list)).not.toMatch(/SQLi/);
    for (const rule of list) {
      expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
      if (rule.Statement.ManagedRuleGroupStatement) {
        expect(rule.Statement.ManagedRuleGroupStatement.VendorName).toBe("AWS");
        expect(rule.OverrideAction).toEqual({ None: {} });
      }
    }
  });

  it("answers 429 to an IP over its limit, with a lower limit for writes", () => {
    const list = rules(waf);
    for (const { name, limit } of edgeRateRules) {
      const rule = list.find((r) => r.Name === name)!;
      expect(rule.Action).toEqual({ Block: { CustomResponse: { ResponseCode: 429 } } });
      expect(rule.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: "IP", Limit: limit, EvaluationWindowSec: 300 });
    }
    const writes = list.find((r) => r.Name === "WriteRatePerIp")!.Statement.RateBasedStatement.ScopeDownStatement
      .RegexMatchStatement;
    expect(writes.FieldToMatch).toEqual({ Method: {} });
    const pattern = new RegExp(writes.RegexString);
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) expect(pattern.test(method), method).toBe(true);
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect(pattern.test(method), method).toBe(false);
  });

  it("logs blocked and counted requests to a us-east-1 log group for 90 days, Authorization redacted", () => {
    const [logId, log] = onlyOfType(waf, "AWS::Logs::LogGroup");
    expect(log.Properties).toMatchObject({ LogGroupName: expect.stringMatching(/^aws-waf-logs-/), RetentionInDays: 90 });
    const [, logging] = onlyOfType(waf, "AWS::WAFv2::LoggingConfiguration");
    expect(referencedId(logging.Properties.ResourceArn)).toBe(webAcl(waf)[0]);
    expect(render(logging.Properties.LogDestinationConfigs[0])).toBe(
      `arn:\${Ref:AWS::Partition}:logs:${apps.edge.region}:${account}:log-group:\${Ref:${logId}}`,
    );
    expect(logging.Properties.RedactedFields).toEqual([{ SingleHeader: { Name: "authorization" } }]);
  });

  it("writes its ARN to the SSM parameter the home app reads, in the home region, and may write nothing else", () => {
    const [, writer] = onlyOfType(waf, "Custom::AWS");
    const name = edgeWebAclParameterName("test");
    for (const phase of ["Create", "Update"]) {
      expect(JSON.parse(render(writer.Properties[phase]))).toMatchObject({
        service: "SSM",
        action: "putParameter",
        region: apps.home.region,
        parameters: { Name: name, Value: `\${GetAtt:${webAcl(waf)[0]}.Arn}`, Overwrite: true },
      });
    }
    expect(JSON.parse(render(writer.Properties.Delete))).toMatchObject({ action: "deleteParameter", region: apps.home.region });
    const statements = allStatements(wafTemplate);
    const parameterArn = `arn:\${Ref:AWS::Partition}:ssm:${apps.home.region}:\${Ref:AWS::AccountId}:parameter${name}`;
    expect(resourcesFor(statements, "ssm:PutParameter")).toEqual([parameterArn]);
    expect(resourcesFor(statements, "ssm:DeleteParameter")).toEqual([parameterArn]);
    expect([...actionsOf(allStatements(wafTemplate))].filter((a) => a.startsWith("ssm:")).sort()).toEqual([
      "ssm:DeleteParameter",
      "ssm:PutParameter",
    ]);
  });

  it("blocks nobody by country unless the stage says so", () => {
    expect(JSON.stringify(rules(waf))).not.toMatch(/GeoMatch/);
  });

  it("blocks requests from outside a stage's allowed countries, right after IP reputation", () => {
    const rule = rules(geoAllow)[1]!;
    expect(rule).toMatchObject({
      Name: "OutsideAllowedCountries",
      Action: { Block: {} },
      Statement: { NotStatement: { Statement: { GeoMatchStatement: { CountryCodes: ["GB", "NL", "DE"] } } } },
    });
  });

  it("blocks requests from a stage's blocked countries", () => {
    expect(rules(geoBlock)[1]).toMatchObject({
      Name: "BlockedCountries",
      Action: { Block: {} },
      Statement: { GeoMatchStatement: { CountryCodes: ["KP"] } },
    });
  });

  it("refuses a stage with both allowed and blocked countries", () => {
    expect(() => stageConfig("test-both")).toThrow(/not both/);
  });

  it("refuses to deploy anywhere but us-east-1 (CloudFront WebACLs live only there)", () => {
    expect(() => buildApp("test", { name: apps.edge.name, region: apps.home.region })).toThrow(/must be deployed to us-east-1/);
  });
});
