import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { createDb, type Db } from "@carebook/core/entities/index";
import { makeDocumentClient, makeDynamoClient, startDynamoLocal, type DynamoLocal } from "../../packages/local/src/dynamo";
import { ensureTable } from "../../packages/local/src/table";

export interface LocalTables {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** A new, empty table of the one declaration (`<prefix>-<n>`), and its entities. */
  freshTable(prefix: string): Promise<{ table: string; db: Db }>;
}

/**
 * One in-memory DynamoDB Local for the test file that calls this at its top level: started
 * before its tests, stopped (clients too) after them. Tests take a fresh table each.
 */
export function useDynamoLocal(): LocalTables {
  let ddb: DynamoLocal | undefined;
  let client: DynamoDBClient | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  let tables = 0;

  beforeAll(async () => {
    ddb = await startDynamoLocal({ inMemory: true });
    client = makeDynamoClient(ddb.endpoint);
    doc = makeDocumentClient(ddb.endpoint);
  }, 40_000);

  afterAll(async () => {
    doc?.destroy();
    client?.destroy();
    await ddb?.stop();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("DynamoDB Local is not started yet (use it inside tests or hooks)");
    return value;
  };
  return {
    get endpoint() {
      return started(ddb).endpoint;
    },
    get client() {
      return started(client);
    },
    get doc() {
      return started(doc);
    },
    async freshTable(prefix) {
      const table = `${prefix}-${++tables}`;
      await ensureTable(started(client), table);
      return { table, db: createDb(started(doc), table) };
    },
  };
}
