import { RemovalPolicy } from "aws-cdk-lib";
import { TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { type StackContext, Table } from "sst/constructs";
import { tableDefinition } from "@carebook/core/entities/table";
import { stageConfig } from "./config";

/** The one DynamoDB table, built from its single declaration in packages/core. */
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

  return { table };
}
