import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from "aws-cdk-lib/aws-s3";
import { type StackContext, Table } from "sst/constructs";
import { tableDefinition } from "@carebook/core/entities/table";
import { stageConfig } from "./config";

/**
 * The one DynamoDB table, built from its single declaration in packages/core, and the bucket
 * of archived appointments.
 */
export function Storage({ stack }: StackContext) {
  const { ephemeral } = stageConfig(stack.stage);

  const table = new Table(stack, "Table", {
    fields: tableDefinition.fields,
    primaryIndex: tableDefinition.primaryIndex,
    // Every index answers a question with whole items (see table.ts), so project them all.
    globalIndexes: Object.fromEntries(
      Object.entries(tableDefinition.globalIndexes).map(([name, keys]) => [
        name,
        { ...keys, projection: "all" as const },
      ]),
    ),
    stream: tableDefinition.stream,
    timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
    cdk: {
      table: {
        // SST sets the deprecated `pointInTimeRecovery` flag; CDK refuses both forms at once,
        // so clear it and use the current one.
        pointInTimeRecovery: undefined,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        // AWS managed key (aws/dynamodb), not a customer-managed one: the data is encrypted at
        // rest with KMS and every use of the key is logged in CloudTrail, without a key policy
        // to maintain or kms:* statements on every function's role (a customer-managed key
        // makes each caller need kms:Decrypt / kms:GenerateDataKey on it). Switch to
        // TableEncryption.CUSTOMER_MANAGED when a region must own or revoke its key
        // (crypto-shredding, cross-account access) — and add the kms actions in stacks/iam.ts.
        encryption: TableEncryption.AWS_MANAGED,
        // Patient data outlives any stack: only throwaway stages may delete it.
        removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      },
    },
  });

  // Archived appointments (written by the archival event consumer): patient data kept for the
  // region's retention period, rarely read after the first year (exports, audits, erasure).
  const archiveBucket = new Bucket(stack, "ArchiveBucket", {
    // SSE-KMS with the AWS managed key (aws/s3), for the table's reasons (stacks above): every
    // decryption of an archived record is a KMS call logged in CloudTrail, with no key policy to
    // maintain and no kms:* statements on the functions' roles (the aws/s3 key policy lets this
    // account's principals use it through S3). No S3 Bucket Key: it would replace the per-object
    // KMS calls, and so that per-object audit trail, by one per bucket-key period — the request
    // cost it saves is negligible at one object per appointment. A customer-managed key when a
    // region must own or revoke its key, as for the table.
    encryption: BucketEncryption.KMS_MANAGED,
    bucketKeyEnabled: false,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    // ACLs off: the bucket policy and IAM alone decide access.
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // Denies every request not made over TLS (1.2 or later).
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // An overwritten or deleted archive can be recovered for 30 days (noncurrent versions
    // expire below, so an erased patient's data is really gone a month after the delete).
    versioned: true,
    lifecycleRules: [
      {
        id: "ArchiveAfterAYear",
        // Glacier Instant Retrieval rather than Flexible Retrieval: storage costs about the same
        // (~10% more), and a GDPR export, audit or erasure reads the object with a plain
        // GetObject in milliseconds — no RestoreObject step, no waiting hours for a copy.
        // Note: S3 does not transition objects under 128 KiB by default, so the archival consumer
        // should write batches (e.g. a clinic-month) rather than one small object per appointment.
        transitions: [{ storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(365) }],
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
      // Delete markers left alone once their last noncurrent version expired.
      { id: "RemoveExpiredDeleteMarkers", expiredObjectDeleteMarker: true },
    ],
    // Like the table: only throwaway stages may delete archives — and then with their
    // objects (a non-empty bucket would otherwise fail the stack's removal).
    removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    autoDeleteObjects: ephemeral,
  });

  return { table, archiveBucket };
}
