import { ArnFormat, Duration, RemovalPolicy } from "aws-cdk-lib";
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from "aws-cdk-lib/aws-backup";
import { TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
  StorageClass,
} from "aws-cdk-lib/aws-s3";
import { type StackContext, Table } from "sst/constructs";
import { tableDefinition } from "@carebook/core/entities/table";
import { stageConfig } from "./config";
import { suppress, suppressSstInternals } from "./nag";

/**
 * How long the archive bucket's access logs are kept: six years, HIPAA's retention for the
 * records of its required safeguards (45 CFR 164.316(b)(2)) — they tell who read which archived
 * appointment.
 */
const ACCESS_LOG_RETENTION = Duration.days(6 * 366);

/**
 * The one DynamoDB table, built from its single declaration in packages/core, its backups, the
 * bucket of archived appointments with its access logs, and the KMS key of the stage's logs.
 */
export function Storage({ stack }: StackContext) {
  const { ephemeral } = stageConfig(stack.stage);
  const removalPolicy = ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

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
        removalPolicy,
      },
    },
  });

  // Daily AWS Backup recovery points, kept 35 days, in a vault of the stage's own: unlike the
  // point-in-time recovery above (also 35 days), they are copies managed apart from the table,
  // surviving its deletion, that AWS Backup's reports and vault policies can govern. No longer
  // retention: an erased patient's data should be gone from backups within weeks, as it is from
  // the archive bucket's old versions; a longer rule is a retention decision to make first.
  if (ephemeral) {
    suppress(table.cdk.table, [
      {
        id: "HIPAA.Security-DynamoDBInBackupPlan",
        reason:
          "A throwaway stage (dev*, test): its data is destroyed with the stack, and a vault holding recovery " +
          "points would make `sst remove` fail. Every other stage's table is in the daily backup plan (Storage.ts).",
      },
    ]);
  } else {
    const backupVault = new BackupVault(stack, "BackupVault", { removalPolicy: RemovalPolicy.RETAIN });
    const backupPlan = new BackupPlan(stack, "BackupPlan", { backupPlanRules: [BackupPlanRule.daily(backupVault)] });
    const selection = backupPlan.addSelection("Table", {
      resources: [BackupResource.fromDynamoDbTable(table.cdk.table)],
      // Restores are an operator's decision, made with their own credentials.
      allowRestores: false,
    });
    suppress(selection, [
      {
        id: "AwsSolutions-IAM4",
        reason:
          "AWS Backup's service role for this selection (the table only) with the AWS managed " +
          "AWSBackupServiceRolePolicyForBackup, which AWS keeps in step with what each service's backup needs.",
        appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"],
      },
    ]);
  }

  // The archive bucket's server access logs: every request to an archived appointment, who made
  // it and when. SSE-S3, the only default encryption S3 log delivery writes to (not SSE-KMS).
  const accessLogsBucket = new Bucket(stack, "AccessLogsBucket", {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    // ACLs off: log delivery is admitted by the bucket policy below, not the LogDeliveryWrite ACL.
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // An overwritten or deleted log stays recoverable for 30 days.
    versioned: true,
    lifecycleRules: [
      {
        id: "ExpireAccessLogs",
        expiration: ACCESS_LOG_RETENTION,
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
    removalPolicy,
    autoDeleteObjects: ephemeral,
  });
  // (Its own access is not logged, and cdk-nag's S1 / S3BucketLoggingEnabled accept that of a
  // bucket other buckets log to: logging it into itself would loop.)
  suppress(accessLogsBucket, [
    {
      id: "HIPAA.Security-S3DefaultEncryptionKMS",
      reason:
        "S3 server access log delivery supports only SSE-S3 as the target bucket's default encryption, not SSE-KMS " +
        "(Amazon S3 User Guide, 'Enabling Amazon S3 server access logging'). The logs hold request metadata only.",
    },
    {
      id: "HIPAA.Security-S3BucketReplicationEnabled",
      reason:
        "Not replicated, like the archive it logs: S3 keeps every object across at least three AZs, versioning " +
        "covers overwrites and deletes, and a copy in another AWS region would move data out of the stage's region.",
    },
  ]);

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
    removalPolicy,
    autoDeleteObjects: ephemeral,
  });
  suppress(archiveBucket, [
    {
      id: "HIPAA.Security-S3BucketReplicationEnabled",
      reason:
        "No cross-region replication: one stage keeps its patients' data in its own AWS region (data residency). " +
        "S3 already stores every object across at least three AZs, versioning keeps overwritten or deleted " +
        "archives 30 days, and the archived appointments are rebuilt from nothing else anyway.",
    },
  ]);

  // Server access logs, set on the bucket's L1: CDK's `serverAccessLogsBucket` would give the
  // log bucket the LogDeliveryWrite ACL (ACLs are disabled there) unless the app sets the
  // `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` flag — so the bucket policy is written
  // here, as that flag would: only S3's logging service, only for this bucket and account.
  const accessLogPrefix = "archive/";
  (archiveBucket.node.defaultChild as CfnBucket).loggingConfiguration = {
    destinationBucketName: accessLogsBucket.bucketName,
    logFilePrefix: accessLogPrefix,
  };
  accessLogsBucket.addToResourcePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      principals: [new ServicePrincipal("logging.s3.amazonaws.com")],
      actions: ["s3:PutObject"],
      resources: [accessLogsBucket.arnForObjects(`${accessLogPrefix}*`)],
      conditions: {
        ArnLike: { "aws:SourceArn": archiveBucket.bucketArn },
        StringEquals: { "aws:SourceAccount": stack.account },
      },
    }),
  );

  // The customer-managed key of the stage's CloudWatch Logs (every function's log group, the
  // state machines' logs): CloudWatch Logs encrypts with a customer-managed key only, and only
  // for the log groups of this account and region (the key policy's encryption context).
  const logsKey = new Key(stack, "LogsKey", {
    description: `${stack.stackName}: CloudWatch Logs of Carebook's functions and state machines`,
    enableKeyRotation: true,
    removalPolicy,
    ...(ephemeral ? { pendingWindow: Duration.days(7) } : {}),
  });
  logsKey.addToResourcePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      resources: ["*"],
      conditions: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": stack.formatArn({
            service: "logs",
            resource: "log-group",
            resourceName: "*",
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );

  suppressSstInternals(stack);

  return { table, archiveBucket, logsKey };
}
