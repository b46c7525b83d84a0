/**
 * Stack tests of the Web stack (the run's shared synthesis): the built app in a private,
 * TLS-only bucket behind CloudFront with the edge WebACL and access logs, deep links answered
 * with index.html, and `/config.json` written with this stage's API, WebSocket and user pools.
 */
import { Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageSettings } from "../../stacks/config";
import { Auth } from "../../stacks/Auth";
import { Edge } from "../../stacks/Edge";
import { Realtime } from "../../stacks/Realtime";
import { edgeWebAclParameterName } from "../../stacks/Waf";
import { Web, WebConfig } from "../../stacks/Web";
import {
  buildApp,
  initProjectInBeforeAll,
  ofType,
  onlyOfType,
  render,
  type Resources,
  resourcesOf,
  type SynthesizedApp,
  synthesisOf,
} from "./synth";

initProjectInBeforeAll("web");

let app: SynthesizedApp;
let template: Template;
let resources: Resources;
let configResources: Resources;

beforeAll(() => {
  app = synthesisOf("test", "home");
  template = app.template(Web);
  resources = resourcesOf(template);
  configResources = resourcesOf(app.template(WebConfig));
});

const distribution = () => onlyOfType(resources, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig;

describe("the web app's site", () => {
  it("is deployed before the user pools, which send sign-ins back to it; its config.json last, after every address it holds", () => {
    expect(app.stack(Auth).dependencies.map((s) => s.id)).toContain(app.stack(Web).id);
    const ids = app.stack(WebConfig).dependencies.map((s) => s.id);
    for (const fn of [Web, Auth, Realtime, Edge]) expect(ids).toContain(app.stack(fn).id);
    expect(app.stacks.at(-1)!.id).toBe(app.stack(WebConfig).id);
  });

  it("answers on its distribution's address while the stage has no web domain", () => {
    expect(render(template.toJSON().Outputs.WebUrl.Value)).toMatch(/^https:\/\/\$\{GetAtt:SiteDistribution\w+\.DomainName\}$/);
    expect(distribution().Aliases ?? []).toEqual([]);
  });

  it("serves from a private, TLS-only, versioned bucket whose access is logged", () => {
    const buckets = ofType(resources, "AWS::S3::Bucket");
    const site = buckets.find(([, b]) => b.Properties?.LoggingConfiguration)!;
    expect(site).toBeDefined();
    expect(site[1].Properties.VersioningConfiguration).toEqual({ Status: "Enabled" });
    const policies = ofType(resources, "AWS::S3::BucketPolicy").map(([, p]) => JSON.stringify(p.Properties.PolicyDocument));
    expect(policies.some((p) => p.includes('"aws:SecureTransport":"false"') && p.includes('"Effect":"Deny"'))).toBe(true);
  });

  it("is behind CloudFront with the edge WebACL, HTTPS only, access logs, and index.html for any deep link", () => {
    const config = distribution();
    // The WebACL's ARN: the SSM parameter the edge app writes (stacks/Waf.ts).
    const parameter = /\$\{Ref:(\w+)\}|"Ref":"(\w+)"/.exec(render(config.WebACLId));
    const name = parameter?.[1] ?? parameter?.[2];
    expect(template.toJSON().Parameters[name!].Default).toBe(edgeWebAclParameterName("test"));
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe("redirect-to-https");
    expect(config.Logging).toBeDefined();
    expect(config.CustomErrorResponses).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorCode: 403, ResponseCode: 200, ResponsePagePath: "/index.html" })]),
    );
  });

  it("writes /config.json with this stage's API and WebSocket URLs and both pools' issuers and app clients", () => {
    const [, deployment] = onlyOfType(configResources, "Custom::CDKBucketDeployment");
    expect(deployment.Properties.SourceMarkers).toHaveLength(1);
    // config.json's values are filled in at deploy time from the other stacks' outputs.
    const markers = Object.values(deployment.Properties.SourceMarkers[0] as Record<string, unknown>).map((m) => JSON.stringify(m));
    const one = (...parts: string[]) => markers.filter((m) => parts.every((p) => m.includes(p)));
    expect(one('\\"https://', "test-carebook-Edge:ExportsOutputFnGetAttDistribution", "DomainName")).toHaveLength(1);
    expect(one('\\"wss://', "test-carebook-Realtime:ExportsOutputRefRealtimeApi", '/test\\"')).toHaveLength(1);
    for (const pool of ["PatientsPool", "StaffPool"]) expect(one("https://cognito-idp.", `test-carebook-Auth:ExportsOutputRef${pool}`)).toHaveLength(1);
    for (const client of ["PatientsClient", "StaffClient"]) expect(one(`test-carebook-Auth:ExportsOutputRef${client}`)).toHaveLength(1);
    // Into the site's bucket, in the Web stack.
    expect(JSON.stringify(deployment.Properties.DestinationBucketName)).toContain("test-carebook-Web:ExportsOutputRefSiteS3Bucket");
    // Only config.json: the site's own files are left to the site's deployment.
    expect(deployment.Properties.Prune).toBe(false);
    expect(deployment.Properties.DistributionPaths).toEqual(["/config.json"]);
  });
});

describe("a stage with its own web domain", () => {
  const stage = "test-domain";
  let domain: Resources;

  beforeAll(() => {
    stageSettings[stage] = {
      webDomain: { domainName: "app.clinic.example", hostedZone: { hostedZoneId: "Z0123456789ABCDEFGHIJ", zoneName: "clinic.example" } },
    };
    // Unfinished (no bundling needed for these templates), like auth.test.ts's stages.
    buildApp(stage);
    domain = resourcesOf(Template.fromStack(getStack(Web)));
  }, 60_000);
  afterAll(() => {
    delete stageSettings[stage];
  });

  it("serves the app there with a certificate validated in the zone, TLS 1.2 or newer, and alias records", () => {
    const [, dist] = onlyOfType(domain, "AWS::CloudFront::Distribution");
    expect(dist.Properties.DistributionConfig.Aliases).toEqual(["app.clinic.example"]);
    expect(dist.Properties.DistributionConfig.ViewerCertificate).toMatchObject({
      MinimumProtocolVersion: "TLSv1.2_2021",
      SslSupportMethod: "sni-only",
    });
    const records = ofType(domain, "AWS::Route53::RecordSet").map(([, r]) => [r.Properties.Type, r.Properties.Name, r.Properties.HostedZoneId]);
    expect(records.sort()).toEqual([
      ["A", "app.clinic.example.", "Z0123456789ABCDEFGHIJ"],
      ["AAAA", "app.clinic.example.", "Z0123456789ABCDEFGHIJ"],
    ]);
  });
});
