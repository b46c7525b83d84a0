/**
 * Creates the one table in DynamoDB Local from the same declaration the Storage stack uses.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type ScalarAttributeType,
  type StreamViewType,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "@carebook/core/entities/table";

const ATTRIBUTE_TYPES: Record<string, ScalarAttributeType> = {
  string: "S",
  number: "N",
  binary: "B",
};

interface IndexDeclaration {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

function keySchema(index: IndexDeclaration): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: index.partitionKey, KeyType: "HASH" }];
  if (index.sortKey) schema.push({ AttributeName: index.sortKey, KeyType: "RANGE" });
  return schema;
}

/** The CreateTable input equivalent to `tableDefinition` (exported for tests/tools). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const fields = tableDefinition.fields as Record<string, string>;
  const primary: IndexDeclaration = tableDefinition.primaryIndex;
  const globals = Object.entries(tableDefinition.globalIndexes as Record<string, IndexDeclaration>);

  // DynamoDB rejects attribute definitions that no key uses, so declare only key attributes.
  const keyAttributes = new Set<string>();
  for (const index of [primary, ...globals.map(([, i]) => i)]) {
    keyAttributes.add(index.partitionKey);
    if (index.sortKey) keyAttributes.add(index.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyAttributes].map((name) => {
    const type = ATTRIBUTE_TYPES[fields[name] ?? ""];
    if (!type) throw new Error(`tableDefinition: key attribute ${name} has no supported type`);
    return { AttributeName: name, AttributeType: type };
  });

  const globalSecondaryIndexes: GlobalSecondaryIndex[] = globals.map(([name, index]) => ({
    IndexName: name,
    KeySchema: keySchema(index),
    Projection: { ProjectionType: "ALL" },
  }));

  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: attributeDefinitions,
    KeySchema: keySchema(primary),
    GlobalSecondaryIndexes: globalSecondaryIndexes.length ? globalSecondaryIndexes : undefined,
  };
  const stream = (tableDefinition as { stream?: string }).stream;
  if (stream) {
    input.StreamSpecification = {
      StreamEnabled: true,
      StreamViewType: stream.toUpperCase() as StreamViewType,
    };
  }
  return input;
}

function errorName(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "name" in error
    ? String((error as { name: unknown }).name)
    : undefined;
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table;
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

function isActive(table: TableDescription | undefined): boolean {
  return (
    table?.TableStatus === "ACTIVE" &&
    (table.GlobalSecondaryIndexes ?? []).every((gsi) => gsi.IndexStatus === "ACTIVE")
  );
}

/**
 * Creates `tableName` from `tableDefinition` unless it exists (an existing table is left
 * as it is), waits until it and its GSIs are ACTIVE, and makes sure TTL is enabled on the
 * TTL attribute. Returns whether the table was created by this call.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  options: { timeoutMs?: number } = {},
): Promise<{ created: boolean; table: TableDescription }> {
  let created = false;
  if (!(await describe(client, tableName))) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
      created = true;
    } catch (error) {
      // Someone else created it between our DescribeTable and CreateTable: fine.
      if (errorName(error) !== "ResourceInUseException") throw error;
    }
  }

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let table = await describe(client, tableName);
  while (!isActive(table)) {
    if (Date.now() > deadline) {
      throw new Error(`Table ${tableName} did not become ACTIVE (status ${table?.TableStatus})`);
    }
    await new Promise((r) => setTimeout(r, 100));
    table = await describe(client, tableName);
  }

  const ttlAttribute = (tableDefinition as { timeToLiveAttribute?: string }).timeToLiveAttribute;
  if (ttlAttribute) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== "ENABLED" && status !== "ENABLING") {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
        }),
      );
    }
  }

  return { created, table: table! };
}
