import { Aws } from "aws-cdk-lib";
import { HostedZone } from "aws-cdk-lib/aws-route53";
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

/** Vite's development server (`npm run dev -w @carebook/web`): the app's address under `sst dev`. */
export const devServerUrl = "http://localhost:5173";

/**
 * The web app (packages/web) as an SST StaticSite: built at deploy, in a private bucket behind its
 * own CloudFront distribution with the stage's edge WebACL, every unknown path answered with
 * index.html (the app's router). On the stage's own domain when it has one (`webDomain`).
 *
 * Deployed early, before the user pools: their app clients send sign-ins back to the app's
 * addresses (`origins`), which exist only once the distribution does. Where the stage's API,
 * WebSocket and pools are is written next to the app afterwards, by WebConfig.
 */
export function Web({ stack }: StackContext) {
  const { edgeWebAcl, ephemeral, webDomain } = stageConfig(stack.stage);
  const logBucket = accessLogsBucket(stack, "AccessLogs", ephemeral);
  const webAclId = edgeWebAcl ? StringParameter.valueForStringParameter(stack, edgeWebAclParameterName(stack.stage)) : undefined;

  const site = new StaticSite(stack, "Site", {
    path: "packages/web",
    buildCommand: "npm run build",
    buildOutput: "dist",
    errorPage: "redirect_to_index_page",
    // SST's uploader would otherwise delete every object not in the build on each deployment —
    // WebConfig's config.json among them, which its own deployment rewrites only when its
    // content changes. Old hashed assets stay too, for pages still open during a deployment.
    purgeFiles: false,
    // `sst dev` deploys no site: the app runs on Vite's server.
    dev: { url: devServerUrl },
    ...(webDomain
      ? {
          // A certificate in us-east-1 validated in the zone, and the zone's alias records.
          customDomain: {
            domainName: webDomain.domainName,
            cdk: { hostedZone: HostedZone.fromHostedZoneAttributes(stack, "Zone", webDomain.hostedZone) },
          },
        }
      : {}),
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

  // Sign-ins come back to the app on its own domain, on its distribution's (the domain's DNS
  // may lag a new stage) and, on a developer's stage, on Vite's server. Not read from the site
  // alone: a site SST does not deploy this time (`sst dev`, a deployment of some stacks only)
  // answers its `dev.url` — Vite's — as its URL, which must never reach a real stage's pools.
  const deployed = site.cdk ? site.url : undefined;
  const candidates = [webDomain && `https://${webDomain.domainName}`, deployed, ephemeral ? devServerUrl : undefined];
  const origins = [...new Set(candidates.filter((o): o is string => !!o))];
  if (origins.length === 0) {
    throw new Error(
      `Stage ${stack.stage}: the web app's address is unknown (its site is not deployed with this command and the stage has no webDomain); ` +
        "deploy the Web stack together with Auth",
    );
  }
  stack.addOutputs({ WebUrl: site.customDomainUrl ?? site.url ?? "" });

  suppressSstInternals(stack);
  if (site.cdk) {
    suppress(site, [
      { id: "AwsSolutions-CFR1", reason: "Geo-blocking is a rule of the edge WebACL, set per stage (allowedCountries / blockedCountries)." },
      ...(webDomain
        ? []
        : [{ id: "AwsSolutions-CFR4" as const, reason: "The default *.cloudfront.net certificate while the stage has no webDomain; with one, TLSv1.2_2021." }]),
      {
        id: "AwsSolutions-CFR7",
        reason: "SST v2's StaticSite reads its bucket through an origin access identity; the bucket stays private either way.",
      },
      {
        id: "HIPAA.Security-S3DefaultEncryptionKMS",
        reason: "The bucket holds the public web app (HTML, scripts, icons) and its public config: no patient data; SSE-S3.",
      },
      {
        id: "HIPAA.Security-S3BucketReplicationEnabled",
        reason: "The web app is rebuilt from the repository on every deployment; a replica adds nothing.",
      },
    ]);
  }
  // SST adds the site's uploader and invalidator policies when the app is finished (after this).
  suppressInStack(stack, [
    {
      id: "AwsSolutions-IAM5",
      reason: "SST's site uploader copies the built site from the CDK asset bucket into the site bucket (bucket/*).",
      appliesTo: [{ regex: "/^Resource::<SiteS3Bucket[0-9A-F]+\\.Arn>\\/\\*$/" }, { regex: "/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-.+\\/\\*$/" }],
    },
    { id: "HIPAA.Security-IAMNoInlinePolicy", reason: "SST's site uploader and CloudFront invalidator: the construct attaches their grants inline." },
  ]);
  return { site, origins };
}

/**
 * `/config.json` next to the web app: where this stage's API, WebSocket and user pools are (the
 * app reads it at start: packages/web/src/config.ts), written after they exist, so the build
 * waits on none of them and a new API URL needs no rebuild. Deployed last.
 */
export function WebConfig({ stack }: StackContext) {
  const { site } = use(Web);
  const { distribution: apiDistribution } = use(Edge);
  const realtime = use(Realtime);
  const pools = use(Auth);
  const { staffIdentityProvider } = stageConfig(stack.stage);
  // Under `sst dev` there is no site to write next to.
  if (!site.cdk) return;

  const issuer = (userPoolId: string) => `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${userPoolId}`;
  const configDeployment = new BucketDeployment(stack, "SiteConfig", {
    sources: [
      Source.jsonData("config.json", {
        apiUrl: `https://${apiDistribution.distributionDomainName}`,
        webSocketUrl: realtime.url,
        authMode: "cognito",
        cognito: {
          patients: { issuer: issuer(pools.patients.userPool.userPoolId), clientId: pools.patients.client.userPoolClientId },
          staff: {
            issuer: issuer(pools.staff.userPool.userPoolId),
            clientId: pools.staff.client.userPoolClientId,
            // The hospital's sign-in, offered by name on the app's sign-in page.
            ...(staffIdentityProvider ? { identityProvider: staffIdentityProvider.name } : {}),
          },
        },
      }),
    ],
    destinationBucket: site.cdk.bucket,
    // Only config.json: the site's own deployment owns every other object.
    prune: false,
    cacheControl: [],
    distribution: site.cdk.distribution,
    distributionPaths: ["/config.json"],
  });

  suppressSstInternals(stack);
  suppress(configDeployment, [
    { id: "AwsSolutions-IAM5", reason: "CDK's BucketDeployment copies config.json from the CDK asset bucket into the site bucket (bucket/*)." },
  ]);
}
