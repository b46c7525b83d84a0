/**
 * Writing ended appointments to the archive, and finding one there again.
 *
 * The archive itself is an object store behind `ArchiveStore` (S3 in AWS, a directory
 * locally — functions/lib/archive-store.ts); the table keeps a pointer per archived
 * appointment (`archivedAppointment`), written after its object.
 *
 * Idempotent: an appointment that already has a pointer is archived already and skipped; a
 * batch that failed between object and pointers comes again with the same records, so its
 * object gets the same name (its first record's sequence number) and is overwritten.
 */
import type { AppointmentGuard } from "../appointment/booking";
import { auditItem, type Actor } from "../appointment/tx";
import { forEachLimit, getAllByKeys } from "../audit/batch";
import type { Db } from "../entities";
import { NotFoundError } from "../errors";
import { archivedRecord, archiveObjectKey, archivePrefix, parseJsonLines, toJsonLines, type ArchivedAppointment } from "./layout";

export interface ArchiveStore {
  /** Writes (or overwrites) one object. */
  put(key: string, body: string): Promise<void>;
  /** The object's text, or undefined when there is none. */
  get(key: string): Promise<string | undefined>;
}

/** An appointment item the table let go of, and its stream position. */
export interface ArchiveCandidate {
  sequenceNumber: string;
  /** The item as it was stored (ElectroDB's attributes may still be on it). */
  item: Record<string, unknown>;
}

export interface ArchiveResult {
  archived: number;
  alreadyArchived: number;
  /** The candidates whose object or pointer could not be written, in input order. */
  failed: Array<{ sequenceNumber: string; appointmentId: string; error: Error }>;
}

const POINTER_WRITES_IN_FLIGHT = 10;

/** Archives `candidates` (in stream order): one JSON Lines object per prefix, then the pointers. */
export async function archiveAppointments(db: Db, store: ArchiveStore, candidates: readonly ArchiveCandidate[], now: number): Promise<ArchiveResult> {
  const records = candidates.map((c) => ({ sequenceNumber: c.sequenceNumber, appointment: archivedRecord(c.item) }));
  const ids = [...new Set(records.map((r) => r.appointment.appointmentId))];
  const pointers = await getAllByKeys((keys) => db.archivedAppointment.get(keys).go(), ids.map((appointmentId) => ({ appointmentId })));
  const done = new Set(pointers.map((p) => p.appointmentId));

  const groups = new Map<string, typeof records>();
  let alreadyArchived = 0;
  const failed: ArchiveResult["failed"] = [];
  for (const record of records) {
    const { appointmentId } = record.appointment;
    if (done.has(appointmentId)) {
      alreadyArchived++;
      continue;
    }
    done.add(appointmentId); // once per batch, too
    let prefix: string;
    try {
      prefix = archivePrefix(record.appointment);
    } catch (error) {
      failed.push({ sequenceNumber: record.sequenceNumber, appointmentId, error: error as Error });
      continue;
    }
    const group = groups.get(prefix);
    if (group) group.push(record);
    else groups.set(prefix, [record]);
  }

  const archivedAt = new Date(now).toISOString();
  let archived = 0;
  await Promise.all(
    [...groups].map(async ([prefix, group]) => {
      const key = archiveObjectKey(prefix, group[0]!.sequenceNumber);
      try {
        await store.put(key, toJsonLines(group.map((r) => r.appointment)));
        await forEachLimit(group, POINTER_WRITES_IN_FLIGHT, async ({ appointment: a }) => {
          await db.archivedAppointment.put({ appointmentId: a.appointmentId, regionId: a.regionId, clinicId: a.clinicId, key, archivedAt }).go();
        });
        archived += group.length;
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        for (const r of group) failed.push({ sequenceNumber: r.sequenceNumber, appointmentId: r.appointment.appointmentId, error: e });
      }
    }),
  );
  const order = new Map(records.map((r, i) => [r.sequenceNumber, i]));
  failed.sort((a, b) => order.get(a.sequenceNumber)! - order.get(b.sequenceNumber)!);
  return { archived, alreadyArchived, failed };
}

export interface ArchivedAppointmentFound {
  appointment: ArchivedAppointment;
  archive: { key: string; archivedAt: string };
}

/** An archived appointment by id (pointer, then its line in the object), or undefined. */
export async function findArchivedAppointment(db: Db, store: ArchiveStore, appointmentId: string): Promise<ArchivedAppointmentFound | undefined> {
  const { data: pointer } = await db.archivedAppointment.get({ appointmentId }).go();
  if (!pointer) return undefined;
  const text = await store.get(pointer.key);
  // A pointer is written only after its object: a missing object or line is lost data, not "not archived".
  if (text === undefined) throw new Error(`archive object ${pointer.key} of appointment ${appointmentId} is missing`);
  const line = parseJsonLines(text).find((r) => (r as ArchivedAppointment | null)?.appointmentId === appointmentId);
  if (!line) throw new Error(`archive object ${pointer.key} has no line for appointment ${appointmentId}`);
  return { appointment: line as ArchivedAppointment, archive: { key: pointer.key, archivedAt: pointer.archivedAt } };
}

/** An admin's look at an archived appointment — audited, as every read of a patient's data by staff is. */
export async function getArchivedAppointmentForStaff(
  db: Db,
  store: ArchiveStore,
  input: { appointmentId: string; actor: Actor; now: number; guard: AppointmentGuard },
): Promise<ArchivedAppointmentFound> {
  const found = await findArchivedAppointment(db, store, input.appointmentId);
  if (!found) throw new NotFoundError("Archived appointment", { appointmentId: input.appointmentId });
  input.guard(found.appointment, input.appointmentId);
  const audited = await db.service.transaction
    .write((tx) => [auditItem(tx, found.appointment, "appointment.archive-viewed", input.actor, input.now, { key: found.archive.key })])
    .go();
  if (audited.canceled) throw new Error("the audit entry of the archive read was not written");
  return found;
}
