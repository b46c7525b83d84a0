/**
 * The hashes of the audit chain: pure functions, so the chainer, the verifier and any external
 * checker compute them alike.
 *
 * - entry hash: sha256 (hex) of the canonical JSON of the entry's content — every attribute
 *   of `auditEntrySchema`, none of the storage keys — so a change to any field shows.
 * - link hash: sha256 of the canonical JSON of { clinicId, day, seq, auditId, entryHash,
 *   prevHash }: binds the entry to its place and to everything before it.
 * - genesis: the prevHash of seq 1, derived from clinic and day, so a day's chain cannot be
 *   passed off as another's.
 */
import { createHash } from "node:crypto";
import { auditEntrySchema, type AuditEntry } from "../entities";
import { compareStrings as compare } from "./batch";

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

function normalise(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalise(v)));
  // DynamoDB string/number sets come back as JS Sets: their order means nothing.
  if (value instanceof Set) return [...value].map(normalise).sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString("base64") };
  if (typeof value === "object") {
    // No prototype: a "__proto__" member (JSON.parse makes one) stays an ordinary member.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort(compare)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalise(v);
    }
    return out;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
}

/** JSON with object keys sorted at every depth and undefined members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

export const AUDIT_CONTENT_FIELDS = Object.keys(auditEntrySchema.attributes) as Array<keyof AuditEntry>;

/** The entry's content fields out of a stored item or stream image (storage keys dropped). */
export function auditContent(item: Record<string, unknown>): AuditEntry {
  return Object.fromEntries(AUDIT_CONTENT_FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]])) as AuditEntry;
}

export function entryHash(entry: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(auditContent(entry)));
}

export function genesisHash(clinicId: string, day: string): string {
  return sha256Hex(canonicalJson({ genesis: "carebook-audit-chain/1", clinicId, day }));
}

export interface LinkContent {
  clinicId: string;
  day: string;
  seq: number;
  auditId: string;
  entryHash: string;
  prevHash: string;
}

export function linkHash(link: LinkContent): string {
  const { clinicId, day, seq, auditId, entryHash, prevHash } = link;
  return sha256Hex(canonicalJson({ clinicId, day, seq, auditId, entryHash, prevHash }));
}

/** The chain an entry belongs to: its UTC day. */
export function chainDay(at: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new TypeError(`not an instant: ${at}`);
  return new Date(ms).toISOString().slice(0, 10);
}
