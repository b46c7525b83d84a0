import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDb, type Db } from "@carebook/core/entities/index";

/** Environment given to every function by the Api stack (and by the local runtime). */
export function env(name: "TABLE_NAME" | "CAREBOOK_REGION_ID"): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

let clients: { raw: DynamoDBClient; db: Db } | undefined;

/** One DynamoDB client per container. `CAREBOOK_DYNAMODB_ENDPOINT` is set by the local runtime only. */
export function dynamo(): { raw: DynamoDBClient; db: Db } {
  if (!clients) {
    const endpoint = process.env.CAREBOOK_DYNAMODB_ENDPOINT;
    const raw = new DynamoDBClient(
      endpoint
        ? { endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } }
        : {},
    );
    const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    clients = { raw, db: createDb(doc, env("TABLE_NAME")) };
  }
  return clients;
}
