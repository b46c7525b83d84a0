/**
 * The archive's layout, the same in S3 and in the local filesystem stand-in:
 *
 *   <regionId>/<clinicId>/<yyyy>/<mm>/<first sequence number>.jsonl
 *
 * yyyy/mm are those of the appointment's start in UTC (stored instants are UTC; a clinic's
 * local month differs only around midnight of a month's last day, and nothing looks a record
 * up by month — the pointer item names its object). One object per archival batch and prefix:
 * objects are immutable and named after the stream position of their first record, so a
 * re-delivered batch overwrites its own object instead of adding a second copy.
 *
 * Each line is one appointment as it was stored, without ElectroDB's key attributes.
 */
import { appointmentSchema, type Appointment } from "../entities";

/** JSON Lines (one JSON value per line, `\n`-separated); there is no registered media type. */
export const ARCHIVE_CONTENT_TYPE = "application/x-ndjson";
export const ARCHIVE_EXTENSION = ".jsonl";

/** An archived appointment: the stored appointment's own attributes. */
export type ArchivedAppointment = Appointment;

/** Attributes never archived: the waiting workflow's task token is a credential (it resumes
 * an execution), and it means nothing once the appointment has ended. */
const NOT_ARCHIVED = new Set<string>(["taskToken", "taskTokenStage"]);
const ARCHIVED_ATTRIBUTES = Object.keys(appointmentSchema.attributes).filter((name) => !NOT_ARCHIVED.has(name));

/** The archived record of a stored appointment item (ElectroDB's pk/sk/gsi and `__edb_*` dropped). */
export function archivedRecord(item: Record<string, unknown>): ArchivedAppointment {
  return Object.fromEntries(ARCHIVED_ATTRIBUTES.filter((name) => item[name] !== undefined).map((name) => [name, item[name]])) as ArchivedAppointment;
}

/**
 * One key segment from an id: ids are plain (`london-central`), but a `/`, a `..` or a
 * character S3 handles badly must never change the layout (or escape the local directory).
 */
function segment(value: string): string {
  if (value === "") throw new RangeError("an archive key segment cannot be empty");
  const encoded = encodeURIComponent(value);
  return /^\.+$/.test(encoded) ? encoded.replace(/\./g, "%2E") : encoded;
}

/** `<regionId>/<clinicId>/<yyyy>/<mm>/` of an appointment (its start's UTC year and month). */
export function archivePrefix(a: Pick<Appointment, "regionId" | "clinicId" | "start">): string {
  const start = new Date(Date.parse(a.start));
  if (Number.isNaN(start.getTime())) throw new RangeError(`appointment start is not an instant: ${a.start}`);
  const yyyy = String(start.getUTCFullYear()).padStart(4, "0");
  const mm = String(start.getUTCMonth() + 1).padStart(2, "0");
  return `${segment(a.regionId)}/${segment(a.clinicId)}/${yyyy}/${mm}/`;
}

/** The object of a batch under `prefix`, named after its first record's stream sequence number. */
export function archiveObjectKey(prefix: string, firstSequenceNumber: string): string {
  return `${prefix}${segment(firstSequenceNumber)}${ARCHIVE_EXTENSION}`;
}

/** JSON Lines: one compact JSON value per line, each line ending in `\n`. */
export function toJsonLines(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r) + "\n").join("");
}

/** The values of a JSON Lines text (blank lines, e.g. a final one, ignored). */
export function parseJsonLines(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
}
