/**
 * Clinics, as administrators manage them. Each change is one transaction with its audit entry
 * on the clinic's own chain (subjectType "clinic", clinicId = the clinic).
 *
 * - create: conditional (409 CLINIC_EXISTS); the creating administrator's staff record gains
 *   the clinic in the same transaction — otherwise no one could manage it (clinic scope).
 * - deactivate: the clinic leaves the catalog (GET /api/clinics, slot search, booking). Its
 *   future appointments are not touched: cancelling a patient's visit is a decision to take
 *   one appointment at a time, with the patient told. So while any are booked the answer is
 *   409 CLINIC_HAS_BOOKINGS with the list; `force` deactivates anyway — the bookings stay valid
 *   (reminders, reschedule within the clinic fails, cancel works) and are listed in the response.
 * - reactivate: the clinic is back in the catalog; its doctors who are active offer times there
 *   again. Nothing else needs to hold: a clinic's settings were checked when written. Reactivating
 *   an active clinic changes nothing (200, `changed: false`).
 */
import { auditEntryItem } from "../audit/entry";
import type { Clinic, Db, StaffMember } from "../entities";
import { ConflictError, NotFoundError } from "../errors";
import { bookingsSummary, futureBookingsOfClinic } from "./bookings";
import {
  applyUpdate,
  changedMeanwhile,
  changesOf,
  checkExpected,
  commitChange,
  defined,
  nextUpdatedAt,
  patchOf,
  unchangedSince,
  commitActive,
  type CatalogWrite,
  type ClinicAccess,
} from "./change";
import { CLINIC_FIELDS, type CreateClinic, type UpdateClinic } from "./schemas";

const subject = (clinicId: string) => ({ type: "clinic", id: clinicId, clinicId });
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** The region's clinics the caller reaches, inactive ones included, by name. */
export async function listAdminClinics(db: Db, regionId: string, access: ClinicAccess): Promise<Clinic[]> {
  const reach = access.clinics();
  const { data } = await db.clinic.query.byRegion({ regionId }).go({ pages: "all" });
  return data.filter((c) => !reach || reach.includes(c.clinicId)).sort(byName);
}

/** A clinic of the region, read consistently (it is about to be changed), or 404. */
export async function getClinic(db: Db, regionId: string, clinicId: string): Promise<Clinic> {
  const { data } = await db.clinic.get({ clinicId }).go({ consistent: true });
  if (!data || data.regionId !== regionId) throw new NotFoundError("Clinic", { clinicId });
  return data;
}

export async function createClinic(
  db: Db,
  input: CatalogWrite & { clinic: CreateClinic; grantTo?: Pick<StaffMember, "sub" | "clinicIds"> },
): Promise<Clinic> {
  const clinic: Clinic = defined({ ...input.clinic, regionId: input.regionId, active: true, updatedAt: nextUpdatedAt(undefined, input.now) });
  const grantTo = input.grantTo && !input.grantTo.clinicIds.includes(clinic.clinicId) ? input.grantTo.sub : undefined;
  const { updatedAt: _at, ...fields } = clinic;
  await commitChange(
    db,
    (tx) => [
      tx.clinic.create(clinic).commit(),
      auditEntryItem(tx, subject(clinic.clinicId), "clinic.created", input.actor, input.now, defined({ after: fields, grantedTo: grantTo })),
      ...(grantTo ? [tx.staffMember.patch({ sub: grantTo }).append({ clinicIds: [clinic.clinicId] }).commit()] : []),
    ],
    (index) =>
      index === 0
        ? new ConflictError("CLINIC_EXISTS", `A clinic with the id "${clinic.clinicId}" exists already`, { clinicId: clinic.clinicId })
        : changedMeanwhile(),
  );
  return clinic;
}

export async function updateClinic(
  db: Db,
  input: CatalogWrite & { clinicId: string; update: UpdateClinic; access: ClinicAccess },
): Promise<{ clinic: Clinic; changed: string[] }> {
  input.access.clinic(input.clinicId);
  const current = await getClinic(db, input.regionId, input.clinicId);
  checkExpected(current, input.update.expectedUpdatedAt);
  const next = applyUpdate(current, input.update, CLINIC_FIELDS);
  const change = changesOf(current, next, CLINIC_FIELDS);
  if (change.fields.length === 0) return { clinic: current, changed: [] };

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  const { set, remove } = patchOf(change);
  await commitChange(
    db,
    (tx) => {
      const patch = tx.clinic.patch({ clinicId: current.clinicId }).set({ ...set, updatedAt });
      return [
        (remove.length > 0 ? patch.remove(remove as never) : patch).where(unchangedSince(current.updatedAt)).commit(),
        auditEntryItem(tx, subject(current.clinicId), "clinic.updated", input.actor, input.now, { before: change.before, after: change.after }),
      ];
    },
    () => changedMeanwhile(),
  );
  return { clinic: { ...next, updatedAt }, changed: change.fields };
}

export async function deactivateClinic(
  db: Db,
  input: CatalogWrite & { clinicId: string; force: boolean; access: ClinicAccess },
) {
  input.access.clinic(input.clinicId);
  const current = await getClinic(db, input.regionId, input.clinicId);
  const bookings = await futureBookingsOfClinic(db, input.regionId, current.clinicId, input.now);
  const futureBookings = bookingsSummary(bookings);
  if (!current.active) return { clinic: current, changed: false, futureBookings };
  if (bookings.length > 0 && !input.force) {
    throw new ConflictError(
      "CLINIC_HAS_BOOKINGS",
      `${bookings.length} appointment(s) are still booked at this clinic; cancel or move them first, or deactivate with "force": true to keep them`,
      { clinicId: current.clinicId, ...futureBookings },
    );
  }

  const updatedAt = await commitActive(db, input, {
    active: false,
    previous: current.updatedAt,
    write: (tx, set) => tx.clinic.patch({ clinicId: current.clinicId }).set(set).where(unchangedSince(current.updatedAt)).commit(),
    subject: subject(current.clinicId),
    action: "clinic.deactivated",
    details: { force: input.force, futureBookings: { count: futureBookings.count, appointmentIds: futureBookings.appointments.map((a) => a.id) } },
  });
  return { clinic: { ...current, active: false, updatedAt }, changed: true, futureBookings };
}

export async function reactivateClinic(db: Db, input: CatalogWrite & { clinicId: string; access: ClinicAccess }) {
  input.access.clinic(input.clinicId);
  const current = await getClinic(db, input.regionId, input.clinicId);
  if (current.active) return { clinic: current, changed: false };

  // Still the inactive clinic read: a deactivation or an edit meanwhile changed `updatedAt`.
  const updatedAt = await commitActive(db, input, {
    active: true,
    previous: current.updatedAt,
    write: (tx, set) => tx.clinic.patch({ clinicId: current.clinicId }).set(set).where(unchangedSince(current.updatedAt)).commit(),
    subject: subject(current.clinicId),
    action: "clinic.reactivated",
  });
  return { clinic: { ...current, active: true, updatedAt }, changed: true };
}
