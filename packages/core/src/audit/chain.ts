/**
 * Appending audit entries to their hash chain — one chain per clinic and UTC day of `at`.
 *
 * Entries are written in the business transaction (appointment/tx.ts `auditItem`); chaining
 * happens afterwards, from the table's stream (functions/events/audit-chain.ts). Chaining in
 * the business transaction would make every booking at a clinic update the same head item,
 * so concurrent bookings there would conflict; out here only the chainers contend, and they
 * retry.
 *
 * One append is one transaction: the links of up to CHUNK entries (attribute_not_exists),
 * the head moved from the seq read to the new last seq (or created, with the clinic-day's
 * registry item, for seq 1), and a mark per entry keyed by auditId (attribute_not_exists).
 * So two chainers can never both extend the same head — one fails its condition, re-reads
 * the head and tries again — and an entry delivered twice is chained once: the second
 * attempt's mark fails, and the entry is dropped as already chained.
 */
import type { AuditEntry, Db } from "../entities";
import { compareStrings as cmp, forEachLimit } from "./batch";
import { auditContent, chainDay, entryHash, genesisHash, linkHash } from "./hash";

/** Entries per transaction: 2 items each + head + registry ≤ 100 (DynamoDB's limit). */
const CHUNK = 25;
const MAX_ATTEMPTS = 30;
/** Failed attempts in a row that moved nobody's head: the chain's items disagree (tampering). */
const MAX_STUCK = 3;

export interface AppendResult {
  /** Entries this call added to a chain. */
  chained: number;
  /** Entries that were chained before (re-delivery, or another chainer was quicker). */
  alreadyChained: number;
  /** Entries not chained because their clinic-day's append failed; retry them. */
  failed: Array<{ auditId: string; error: Error }>;
}

export interface AppendOptions {
  now?: () => number;
  /** Clinic-days appended at the same time. Default 8. */
  concurrency?: number;
}

/** The chain is not what its head says (a link beyond the head, a registry without a head…). */
export class ChainInconsistentError extends Error {
  constructor(clinicId: string, day: string, detail: string) {
    super(`Audit chain ${clinicId}/${day} is inconsistent (${detail}); run npm run audit:verify`);
    this.name = "ChainInconsistentError";
  }
}

interface Pending {
  entry: AuditEntry;
  entryHash: string;
}

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(1000, 5 * 2 ** attempt) + Math.random() * 20));

/**
 * Chains `entries` (audit entries as written: a stream image's attributes will do; storage
 * keys are ignored). Order within a clinic-day: by `at`, then auditId. Never throws for one
 * clinic-day's failure: its entries come back in `failed`.
 */
export async function appendToChain(db: Db, entries: Array<Record<string, unknown>>, options: AppendOptions = {}): Promise<AppendResult> {
  const now = options.now ?? Date.now;
  const groups = new Map<string, { clinicId: string; day: string; items: Map<string, Pending> }>();
  for (const raw of entries) {
    const entry = auditContent(raw);
    const day = chainDay(entry.at);
    const key = `${entry.clinicId}\u0000${day}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { clinicId: entry.clinicId, day, items: new Map() }));
    group.items.set(entry.auditId, { entry, entryHash: entryHash(entry) });
  }

  const result: AppendResult = { chained: 0, alreadyChained: 0, failed: [] };
  await forEachLimit([...groups.values()], options.concurrency ?? 8, async (group) => {
    const items = [...group.items.values()].sort((a, b) => cmp(a.entry.at, b.entry.at) || cmp(a.entry.auditId, b.entry.auditId));
    const done: Progress = { chained: 0, alreadyChained: 0, handled: new Set() };
    try {
      await appendGroup(db, group.clinicId, group.day, items, done, now);
    } catch (error) {
      // What went through before the failure stays chained; only the rest is reported.
      for (const item of items) {
        if (!done.handled.has(item.entry.auditId)) result.failed.push({ auditId: item.entry.auditId, error: error as Error });
      }
    }
    result.chained += done.chained;
    result.alreadyChained += done.alreadyChained;
  });
  return result;
}

interface Progress {
  chained: number;
  alreadyChained: number;
  /** auditIds chained or found chained so far. */
  handled: Set<string>;
}

/** Appends `items` in order; `done` records each as it goes, so a failure reports only the rest. */
async function appendGroup(
  db: Db,
  clinicId: string,
  day: string,
  items: Pending[],
  done: Progress,
  now: () => number,
): Promise<void> {
  let pending = items;
  let attempt = 0;
  let stuck = 0;
  let lastFailedSeq: number | undefined;
  while (pending.length > 0) {
    const chunk = pending.slice(0, CHUNK);
    const { data: head } = await db.auditChainHead.get({ clinicId, day }).go({ consistent: true });
    const fromSeq = head?.seq ?? 0;
    if (lastFailedSeq !== undefined) {
      // The head did not move although our conditional write failed: someone else's append
      // would have moved it, so the chain's own items stand in the way.
      stuck = fromSeq === lastFailedSeq ? stuck + 1 : 0;
      if (stuck >= MAX_STUCK) throw new ChainInconsistentError(clinicId, day, `appends at seq ${fromSeq + 1} keep failing`);
    }

    let prevHash = head?.hash ?? genesisHash(clinicId, day);
    const chainedAt = new Date(now()).toISOString();
    const links = chunk.map((item, i) => {
      const seq = fromSeq + i + 1;
      const content = { clinicId, day, seq, auditId: item.entry.auditId, entryHash: item.entryHash, prevHash };
      const hash = linkHash(content);
      prevHash = hash;
      const { subjectType, subjectId, at } = item.entry;
      return { ...content, hash, subjectType, subjectId, at, chainedAt };
    });
    const last = links[links.length - 1]!;

    const headOps = head ? 1 : 2;
    const outcome = await db.service.transaction
      .write(({ auditChainHead, auditChainLink, auditChainMark, auditChainDay }) => [
        ...(head
          ? [
              auditChainHead
                .patch({ clinicId, day })
                .set({ seq: last.seq, hash: last.hash, updatedAt: chainedAt })
                .where((attr, op) => op.eq(attr.seq, fromSeq))
                .commit(),
            ]
          : [
              auditChainHead.create({ clinicId, day, seq: last.seq, hash: last.hash, updatedAt: chainedAt }).commit(),
              auditChainDay.create({ day, clinicId, startedAt: chainedAt }).commit(),
            ]),
        ...links.map((l) => auditChainLink.create(l).commit()),
        ...links.map((l) => auditChainMark.create({ auditId: l.auditId, clinicId, day, seq: l.seq, hash: l.hash }).commit()),
      ])
      .go();

    if (!outcome.canceled) {
      done.chained += chunk.length;
      for (const item of chunk) done.handled.add(item.entry.auditId);
      pending = pending.slice(chunk.length);
      attempt = 0;
      stuck = 0;
      lastFailedSeq = undefined;
      continue;
    }

    // One cancellation reason per item, in the order written (typed `never` for a spread list).
    const codes = (outcome.data as unknown as Array<{ code?: string }>).map((r) => r.code ?? "None");
    const markStart = headOps + links.length;
    const alreadyChained = new Set(
      chunk.filter((_, i) => codes[markStart + i] === "ConditionalCheckFailed").map((item) => item.entry.auditId),
    );
    if (alreadyChained.size > 0) {
      done.alreadyChained += alreadyChained.size;
      for (const auditId of alreadyChained) done.handled.add(auditId);
      pending = pending.filter((item) => !alreadyChained.has(item.entry.auditId));
      lastFailedSeq = undefined;
      continue;
    }
    if (++attempt >= MAX_ATTEMPTS) {
      throw new Error(`Audit chain ${clinicId}/${day}: no append after ${attempt} attempts (${codes.join(",")})`);
    }
    lastFailedSeq = codes.includes("TransactionConflict") ? undefined : fromSeq;
    await pause(attempt);
  }
}
