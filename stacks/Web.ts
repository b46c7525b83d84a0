import { Aws } from "aws-cdk-lib";
import { BucketDeployment, Source } from "aws-cdk-lib/aws-s3-deployment";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import { type StackContext, StaticSite, use } from "sst/constructs";
import { Auth } from "./Auth";
import { stageConfig } from "./config";
import { accessLogsBucket } from "./access-logs";
import { Edge } from "./Edge";
import { suppress, suppressInStack, suppressSstInternals } from "./nag";
import { Realtime } from "./Realtime";
import { edgeWebAclParameterName } from "./Waf";

/**
 * The web app (packages/web) as an SST StaticSite: built at deploy, in a private bucket behind its
 * own CloudFront distribution with the stage's edge WebACL, every unknown path answered with
 * index.html (the app's router). Where the stage's API, WebSocket and user pools are is written
 * next to it as `/config.json` after they exist (the app reads it at start: config.ts), so the
 * build does not wait on them and a new API URL needs no rebuild.
 */
export function Web({ stack }: StackContext) {
  const { distribution: apiDistribution } = use(Edge);
  const realtime = use(Realtime);
  const pools = use(Auth);
  const { edgeWebAcl, ephemeral } = stageConfig(stack.stage);
  const logBucket = accessLogsBucket(stack, "AccessLogs", ephemeral);
  const webAclId = edgeWebAcl ? StringParameter.valueForStringParameter(stack, edgeWebAclParameterName(stack.stage)) : undefined;

  const site = new StaticSite(stack, "Site", {
    path: "packages/web",
    buildCommand: "npm run build",
    buildOutput: "dist",
    errorPage: "redirect_to_index_page",
    // The browser never caches index.html, the service worker or the config; hashed assets forever.
    assets: {
      fileOptions: [
        { files: "assets/**", cacheControl: "public,max-age=31536000,immutable" },
        { files: ["index.html", "sw.js", "manifest.webmanifest"], cacheControl: "no-cache" },
      ],
    },
    cdk: {
      bucket: {
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: true,
        serverAccessLogsBucket: logBucket,
        serverAccessLogsPrefix: "site-bucket/",
      },
      distribution: {
        webAclId,
        comment: `Carebook web app (${stack.stage})`,
        enableLogging: true,
        logBucket,
        logFilePrefix: "cloudfront/",
      },
    },
  });

  const issuer = (userPoolId: string) => `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${userPoolId}`;
  const configDeployment = new BucketDeployment(stack, "SiteConfig", {
    sources: [
      Source.jsonData("config.json", {
        apiUrl: `https://${apiDistribution.distributionDomainName}`,
        webSocketUrl: realtime.url,
        authMode: "cognito",
        cognito: {
          patients: { issuer: issuer(pools.patients.userPool.userPoolId), clientId: pools.patients.client.userPoolClientId },
          staff: { issuer: issuer(pools.staff.userPool.userPoolId), clientId: pools.staff.client.userPoolClientId },
        },
      }),
    ],
    destinationBucket: site.cdk!.bucket,
    // Only config.json: the site's own deployment owns every other object.
    prune: false,
    cacheControl: [],
    distribution: site.cdk!.distribution,
    distributionPaths: ["/config.json"],
  });

  stack.addOutputs({ WebUrl: site.url ?? "" });

  suppressSstInternals(stack);
  suppress(site, [
    { id: "AwsSolutions-CFR1", reason: "Geo-blocking is a rule of the edge WebACL, set per stage (allowedCountries / blockedCountries)." },
    { id: "AwsSolutions-CFR4", reason: "The default *.cloudfront.net certificate until the stage has a custom domain (then TLSv1.2_2021)." },
    { id: "AwsSolutions-CFR7", reason: "SST v2's StaticSite reads its bucket through an origin access identity; the bucket stays private either way." },
    {
      id: "HIPAA.Security-S3DefaultEncryptionKMS",
      reason: "The bucket holds the public web app (HTML, scripts, icons) and its public config: no patient data; SSE-S3.",
    },
    { id: "HIPAA.Security-S3BucketReplicationEnabled", reason: "The web app is rebuilt from the repository on every deployment; a replica adds nothing." },
  ]);
  // SST adds the site's uploader and invalidator policies when the app is finished (after this).
  suppressInStack(stack, [
    {
      id: "AwsSolutions-IAM5",
      reason: "SST's site uploader copies the built site from the CDK asset bucket into the site bucket (bucket/*).",
      appliesTo: [{ regex: "/^Resource::<SiteS3Bucket[0-9A-F]+\\.Arn>\\/\\*$/" }, { regex: "/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-.+\\/\\*$/" }],
    },
    { id: "HIPAA.Security-IAMNoInlinePolicy", reason: "SST's site uploader and CloudFront invalidator: the construct attaches their grants inline." },
  ]);
  suppress(configDeployment, [
    { id: "AwsSolutions-IAM5", reason: "CDK's BucketDeployment copies config.json from the CDK asset bucket into the site bucket (bucket/*)." },
  ]);
  return { site };
}
