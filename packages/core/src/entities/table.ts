/**
 * The one DynamoDB table, declared once.
 *
 * The Storage stack turns this into an SST `Table`; the local runtime turns it into a
 * `CreateTable` call against DynamoDB Local. Both read this object, so the table the
 * tests run against is the table AWS gets.
 *
 * Access patterns (index → question it answers):
 * - primary (pk, sk): an item by id; a claim by (resource, time unit)
 * - gsi1 (gsi1pk, gsi1sk): "everything of an owner" — a patient's appointments by start,
 *   a region's doctors, clinics and appointment types
 * - gsi2 (gsi2pk, gsi2sk): "what happens in a region over time" — appointments by start
 *   (slot search, daily load of doctors, metrics)
 * - gsi3 (gsi3pk, gsi3sk): "a doctor's calendar" — appointments of one doctor by start
 */
export const tableDefinition = {
  fields: {
    pk: "string",
    sk: "string",
    gsi1pk: "string",
    gsi1sk: "string",
    gsi2pk: "string",
    gsi2sk: "string",
    gsi3pk: "string",
    gsi3sk: "string",
  },
  primaryIndex: { partitionKey: "pk", sortKey: "sk" },
  globalIndexes: {
    gsi1: { partitionKey: "gsi1pk", sortKey: "gsi1sk" },
    gsi2: { partitionKey: "gsi2pk", sortKey: "gsi2sk" },
    gsi3: { partitionKey: "gsi3pk", sortKey: "gsi3sk" },
  },
  /** Epoch seconds; DynamoDB TTL deletes the item some time after. Used by claims of past
   * appointments and by Powertools idempotency records. */
  timeToLiveAttribute: "expiresAt",
  stream: "new_and_old_images",
} as const;

export type TableDefinition = typeof tableDefinition;
export type GlobalIndexName = keyof TableDefinition["globalIndexes"];
