import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { suppress } from "./nag";

/**
 * A bucket for CloudFront's (and S3's) access logs: the only record of callers' addresses.
 * Standard logging writes with an ACL, hence object-writer ownership. Addresses are personal
 * data: kept 90 days, long enough to investigate an incident, no longer.
 */
export function accessLogsBucket(scope: Construct, id: string, ephemeral: boolean): Bucket {
  const bucket = new Bucket(scope, id, {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.OBJECT_WRITER,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    lifecycleRules: [{ id: "ExpireAccessLogs", expiration: Duration.days(90) }],
    removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    autoDeleteObjects: ephemeral,
  });
  suppress(bucket, [
    { id: "AwsSolutions-S1", reason: "This bucket holds access logs; logging its own access would recurse." },
    { id: "HIPAA.Security-S3BucketLoggingEnabled", reason: "This bucket holds access logs; logging its own access would recurse." },
    {
      id: "HIPAA.Security-S3DefaultEncryptionKMS",
      reason: "CloudFront's log delivery writes with SSE-S3; the logs hold addresses and paths, no patient data.",
    },
    ...(["HIPAA.Security-S3BucketVersioningEnabled", "HIPAA.Security-S3BucketReplicationEnabled"] as const).map((id) => ({
      id,
      reason: "Access logs expire after 90 days by design; old versions or a replica would keep addresses longer.",
    })),
  ]);
  return bucket;
}
