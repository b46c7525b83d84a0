/**
 * What every admin catalog change shares: who may touch which clinic, the fields an update
 * really changes (its audit entry's before/after), the optimistic-concurrency token, and the
 * one transaction that writes the change together with its audit entries.
 *
 * Concurrency: an update reads the item, computes the new values, and writes them only if the
 * item's `updatedAt` is still the one read (absent on items never edited), setting a later one.
 * Two administrators editing at once: the second write fails its condition → 409, nothing lost,
 * and the audit entry's `before` is exactly what was replaced. A client that sends the
 * `expectedUpdatedAt` of the view it edited gets the same 409 when anyone changed the item since.
 */
import type { Actor, Tx, TxOp } from "../appointment/tx";
import { auditEntryItem, type AuditSubject } from "../audit/entry";
import { canonicalJson } from "../audit/hash";
import type { Db } from "../entities";
import { ConflictError } from "../errors";

/** The route's rule on clinics (functions/lib/auth.ts `Access` is one). */
export interface ClinicAccess {
  /** Throws (403) unless the caller may act on this clinic. */
  clinic(clinicId: string): void;
  /** The clinics the caller reaches; undefined = all of the region. */
  clinics(): readonly string[] | undefined;
}

/** Who changes what, where, when. */
export interface CatalogWrite {
  regionId: string;
  actor: Actor;
  now: number;
}

export interface Change<T> {
  /** The changed fields, in the order given. */
  fields: Array<keyof T & string>;
  before: Partial<T>;
  after: Partial<T>;
}

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** The fields of `fields` whose value differs between `current` and `next` (deep; absent = undefined). */
export function changesOf<T extends object>(current: T, next: T, fields: ReadonlyArray<keyof T & string>): Change<T> {
  const change: Change<T> = { fields: [], before: {}, after: {} };
  for (const field of fields) {
    if (same(current[field], next[field])) continue;
    change.fields.push(field);
    change.before[field] = current[field];
    change.after[field] = next[field];
  }
  return change;
}

/** `current` with an update applied: a field left out stays, `null` clears it. */
export function applyUpdate<T extends object>(current: T, update: Partial<Record<keyof T, unknown>>, fields: ReadonlyArray<keyof T & string>): T {
  const next = { ...current };
  for (const field of fields) {
    const value = update[field];
    if (value === undefined) continue;
    next[field] = (value === null ? undefined : value) as T[typeof field];
  }
  return next;
}

/** A change as an ElectroDB patch: the values to set, the attributes to remove. */
export function patchOf<T extends object>(change: Change<T>): { set: Partial<T>; remove: Array<keyof T & string> } {
  const set: Partial<T> = {};
  const remove: Array<keyof T & string> = [];
  for (const field of change.fields) {
    if (change.after[field] === undefined) remove.push(field);
    else set[field] = change.after[field];
  }
  return { set, remove };
}

/** Drops undefined members (ElectroDB writes nothing for them either way; the audit stays tidy). */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The next `updatedAt`: now, but always after the previous one, so it changes on every write. */
export function nextUpdatedAt(previous: string | undefined, now: number): string {
  const after = previous ? Date.parse(previous) + 1 : now;
  return new Date(Math.max(now, after)).toISOString();
}

export const changedMeanwhile = () =>
  new ConflictError("CHANGED_MEANWHILE", "It was changed meanwhile; reload it and try again");

/** 409 when the client edited another state of the item than the stored one. */
export function checkExpected(current: { updatedAt?: string }, expectedUpdatedAt: string | undefined): void {
  if (expectedUpdatedAt === undefined) return;
  if (current.updatedAt === undefined || Date.parse(current.updatedAt) !== Date.parse(expectedUpdatedAt)) {
    throw new ConflictError("CHANGED_MEANWHILE", "It was changed since you loaded it; reload it and try again", {
      updatedAt: current.updatedAt ?? null,
    });
  }
}

interface UpdatedAtOps {
  eq(attribute: never, value: string): string;
  notExists(attribute: never): string;
}

/** The write's condition: the item is still as read (its `updatedAt` unchanged). */
export const unchangedSince =
  (updatedAt: string | undefined) =>
  (attr: { updatedAt: unknown }, op: UpdatedAtOps): string =>
    updatedAt === undefined ? op.notExists(attr.updatedAt as never) : op.eq(attr.updatedAt as never, updatedAt);

/**
 * Writes `items` in one transaction. A failed condition is read back by its item's position
 * (`onConditionFailed`); a conflict with another transaction is a 409 too: nothing was written.
 */
export async function commitChange(db: Db, items: (tx: Tx) => TxOp[], onConditionFailed: (index: number) => Error): Promise<void> {
  const result = await db.service.transaction.write(items).go();
  if (!result.canceled) return;
  // One cancellation reason per item, in the order written.
  const codes = (result.data as unknown as Array<{ code?: string }>).map((r) => r.code ?? "None");
  const failed = codes.indexOf("ConditionalCheckFailed");
  if (failed >= 0) throw onConditionFailed(failed);
  if (codes.includes("TransactionConflict")) throw changedMeanwhile();
  throw new Error(`Unexpected transaction cancellation: ${codes.join(",")}`);
}

/**
 * Takes an item out of the catalog or brings it back, in one transaction: its `active` and a new
 * `updatedAt` (`write` conditions the patch on the `updatedAt` read, so an edit or a flip
 * meanwhile is a 409) and its audit entry (`before`/`after`, plus `details`). Answers the new
 * `updatedAt`.
 */
export async function commitActive(
  db: Db,
  input: CatalogWrite,
  change: {
    active: boolean;
    previous: string | undefined;
    write: (tx: Tx, set: { active: boolean; updatedAt: string }) => TxOp;
    subject: AuditSubject;
    action: string;
    details?: Record<string, unknown>;
  },
): Promise<string> {
  const updatedAt = nextUpdatedAt(change.previous, input.now);
  await commitChange(
    db,
    (tx) => [
      change.write(tx, { active: change.active, updatedAt }),
      auditEntryItem(tx, change.subject, change.action, input.actor, input.now, {
        before: { active: !change.active },
        after: { active: change.active },
        ...change.details,
      }),
    ],
    () => changedMeanwhile(),
  );
  return updatedAt;
}
