import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { TableAccess } from "../functions/routes";

/** Everything a read-only handler does: ElectroDB get / batchGet / query (and TransactGetItems). */
export const tableReadActions = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];

/**
 * What a writing handler adds: put / update / delete, conditional or not. There is no IAM
 * action for TransactWriteItems: DynamoDB checks each item's own action, ConditionCheckItem
 * included. Powertools idempotency records live in the same table and use the same actions.
 */
export const tableWriteActions = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
];

/**
 * The least-privilege IAM statements for a route's `table` access. Used instead of SST's
 * `bind: [table]`, which grants `dynamodb:*`.
 */
export function tablePolicy(access: TableAccess, tableArn: string): PolicyStatement[] {
  if (access === "none") return [];
  const read = new PolicyStatement({
    effect: Effect.ALLOW,
    actions: tableReadActions,
    resources: [tableArn, `${tableArn}/index/*`],
  });
  if (access === "read") return [read];
  // Items are only written through the table; indexes are read-only.
  const write = new PolicyStatement({
    effect: Effect.ALLOW,
    actions: tableWriteActions,
    resources: [tableArn],
  });
  return [read, write];
}
