/**
 * The items of the audit hash chain (audit/chain.ts), one chain per clinic and UTC day.
 * Registered in `createDb` (entities/index.ts) beside the audit entries they chain.
 *
 * Access patterns:
 * - auditChainHead  byChain (clinic, day)        the chain's last seq and hash — the item every
 *                                                append of that clinic-day conditions on
 * - auditChainLink  byChain (clinic, day) by seq  one link per chained entry; same partition as
 *                                                the head, so a day's chain is one partition
 * - auditChainMark  byAudit (auditId)            "this entry is chained as seq N": the append's
 *                                                idempotency key, and how the admin query shows
 *                                                an entry's place in its chain
 * - auditChainDay   byDay (one partition, by day, clinic)  the clinic-days that have a chain, for
 *                                                the verifier; written once per clinic-day (with
 *                                                seq 1), so the fixed partition is never hot
 */
const service = "carebook";

/** Seqs sort as strings in the link's sort key. */
const seqAttribute = { type: "number", required: true, padding: { length: 10, char: "0" } } as const;

export const auditChainHeadSchema = {
  model: { entity: "auditChainHead", version: "1", service },
  attributes: {
    clinicId: { type: "string", required: true },
    /** UTC yyyy-mm-dd of the chained entries' `at`. */
    day: { type: "string", required: true },
    seq: { type: "number", required: true },
    hash: { type: "string", required: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byChain: { pk: { field: "pk", composite: ["clinicId", "day"] }, sk: { field: "sk", composite: [] } },
  },
} as const;

export const auditChainLinkSchema = {
  model: { entity: "auditChainLink", version: "1", service },
  attributes: {
    clinicId: { type: "string", required: true },
    day: { type: "string", required: true },
    seq: seqAttribute,
    auditId: { type: "string", required: true },
    /** The entry's key (bySubject), so the verifier can fetch it. */
    subjectType: { type: "string", required: true },
    subjectId: { type: "string", required: true },
    at: { type: "string", required: true },
    /** sha256 of the entry's canonical content (audit/hash.ts). */
    entryHash: { type: "string", required: true },
    /** The previous link's `hash`, or the clinic-day's genesis hash for seq 1. */
    prevHash: { type: "string", required: true },
    /** sha256 over (clinicId, day, seq, auditId, entryHash, prevHash). */
    hash: { type: "string", required: true },
    chainedAt: { type: "string", required: true },
  },
  indexes: {
    byChain: { pk: { field: "pk", composite: ["clinicId", "day"] }, sk: { field: "sk", composite: ["seq"] } },
  },
} as const;

export const auditChainMarkSchema = {
  model: { entity: "auditChainMark", version: "1", service },
  attributes: {
    auditId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    day: { type: "string", required: true },
    seq: { type: "number", required: true },
    hash: { type: "string", required: true },
  },
  indexes: {
    byAudit: { pk: { field: "pk", composite: ["auditId"] }, sk: { field: "sk", composite: [] } },
  },
} as const;

export const auditChainDaySchema = {
  model: { entity: "auditChainDay", version: "1", service },
  attributes: {
    day: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    startedAt: { type: "string", required: true },
  },
  indexes: {
    byDay: { pk: { field: "pk", composite: [] }, sk: { field: "sk", composite: ["day", "clinicId"] } },
  },
} as const;
