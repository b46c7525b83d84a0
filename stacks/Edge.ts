import { Aws } from "aws-cdk-lib";
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { HttpOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import { NagSuppressions } from "cdk-nag";
import { type StackContext, use } from "sst/constructs";
import { ORIGIN_VERIFY_HEADER } from "../functions/auth/pools";
import { Api } from "./Api";
import { stageConfig } from "./config";
import { accessLogsBucket } from "./access-logs";
import { suppressSstInternals } from "./nag";
import { edgeWebAclParameterName } from "./Waf";

/**
 * The API's front door: a CloudFront distribution in front of the HTTP API, with the edge
 * WebACL (stacks/Waf.ts) attached — AWS WAF cannot be associated with an API Gateway HTTP API
 * itself. CloudFront is global, so this stack lives in the home app with the API; only the
 * WebACL must be in us-east-1, and its ARN arrives as an SSM parameter of this region, which
 * CloudFormation resolves again on every deployment.
 *
 * Nothing is cached (every response is per caller): CloudFront forwards every method, header
 * (the Authorization header included — allowed because caching is off; Host excepted, which
 * API Gateway's endpoint needs as its own) and query string, adds the origin secret the
 * authorizer requires, and answers with security headers (HSTS, nosniff, frame denial).
 */
export function Edge({ app, stack }: StackContext) {
  const { api, originVerify } = use(Api);
  const { edgeWebAcl, homeRegion, ephemeral } = stageConfig(stack.stage);
  if (edgeWebAcl && stack.region !== homeRegion) {
    throw new Error(
      `Stage ${stack.stage}: the edge app writes its WebACL's ARN to ${homeRegion}, but this app deploys to ${stack.region}; set the stage's homeRegion (stacks/config.ts)`,
    );
  }
  const webAclId = edgeWebAcl
    ? StringParameter.valueForStringParameter(stack, edgeWebAclParameterName(stack.stage))
    : undefined;

  const logBucket = accessLogsBucket(stack, "AccessLogs", ephemeral);

  const distribution = new Distribution(stack, "Distribution", {
    comment: `${app.logicalPrefixedName("api")}: Carebook API behind the edge WebACL`,
    defaultBehavior: {
      origin: new HttpOrigin(`${api.httpApiId}.execute-api.${stack.region}.${Aws.URL_SUFFIX}`, {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        customHeaders: { [ORIGIN_VERIFY_HEADER]: originVerify.secretValue.unsafeUnwrap() },
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
    },
    webAclId,
    httpVersion: HttpVersion.HTTP2_AND_3,
    // Edge locations in Europe and North America (the regions Carebook serves first); callers
    // elsewhere are served from the nearest of these.
    priceClass: PriceClass.PRICE_CLASS_100,
    enableLogging: true,
    logBucket,
    logFilePrefix: "cloudfront/",
  });

  stack.addOutputs({ ApiUrl: `https://${distribution.distributionDomainName}` });

  suppressSstInternals(stack);
  NagSuppressions.addResourceSuppressions(distribution, [
    {
      id: "AwsSolutions-CFR1",
      reason: "Geo-blocking is a rule of the edge WebACL, set per stage (allowedCountries / blockedCountries).",
    },
    {
      id: "AwsSolutions-CFR4",
      reason: "The default *.cloudfront.net certificate until the stage has a custom domain (then TLSv1.2_2021).",
    },
  ]);

  return { distribution };
}
