/**
 * Doctors, as administrators manage them: name, skills, languages, the clinics they work at,
 * the staff account they are. Availability (template, overrides) is not edited here; a new
 * doctor has none until their schedule is set.
 *
 * Who may: an administrator sees a doctor who works at any of their clinics (else 404), and
 * changes one only if every clinic the change concerns — where the doctor works, before and
 * after — is theirs (else 403): a change to a doctor shared with another clinic changes that
 * clinic's capacity too. Each change writes one audit entry per clinic concerned (subjectType
 * "doctor"), so every clinic's trail and hash chain shows what happened to its doctors.
 *
 * Bookings never lose their doctor: a deactivation, or an update that takes the doctor off a
 * clinic or off a skill, while such future bookings exist is refused with 409
 * DOCTOR_HAS_BOOKINGS listing them — unless the caller passes `reassign` (the leave path),
 * which moves them to other doctors first; what it cannot move still blocks the change.
 */
import { moveOffDoctor, type ReassignOutcome } from "../appointment/reassign";
import type { Actor } from "../appointment/tx";
import { auditEntryItem } from "../audit/entry";
import type { Db, Doctor } from "../entities";
import { BusinessRuleError, ConflictError, NotFoundError } from "../errors";
import { weekdays, type WeeklyTemplate } from "../schedule/types";
import { bookingsSummary, futureBookingsOfDoctor, type AffectedBooking } from "./bookings";
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
  type CatalogWrite,
  type ClinicAccess,
} from "./change";
import { DOCTOR_FIELDS, type CreateDoctor, type UpdateDoctor } from "./schemas";

/** Moves `bookings` to other doctors; answers those it could not move. */
export type ReassignBookings = (input: {
  doctor: Doctor;
  bookings: AffectedBooking[];
  actor: Actor;
  now: number;
}) => Promise<{ remaining: AffectedBooking[] }>;

export interface DoctorChangeOptions {
  /** The re-assignment of bookings a change would strand. Without it, any such booking blocks the change. */
  reassign?: ReassignBookings;
}

const NO_AVAILABILITY = Object.fromEntries(weekdays.map((d) => [d, []])) as unknown as WeeklyTemplate;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

function reaches(access: ClinicAccess, doctor: Pick<Doctor, "clinicIds">): boolean {
  const reach = access.clinics();
  return !reach || doctor.clinicIds.some((c) => reach.includes(c));
}

/** The doctors of the caller's clinics (of one clinic, when given), inactive ones included, by name. */
export async function listAdminDoctors(db: Db, regionId: string, access: ClinicAccess, clinicId?: string): Promise<Doctor[]> {
  if (clinicId) access.clinic(clinicId);
  const { data } = await db.doctor.query.byRegion({ regionId }).go({ pages: "all" });
  return data.filter((d) => (clinicId ? d.clinicIds.includes(clinicId) : reaches(access, d))).sort(byName);
}

/** A doctor the caller sees, read consistently (it is about to be changed), or 404. */
async function getDoctor(db: Db, regionId: string, doctorId: string, access: ClinicAccess): Promise<Doctor> {
  const { data } = await db.doctor.get({ doctorId }).go({ consistent: true });
  if (!data || data.regionId !== regionId || !reaches(access, data)) throw new NotFoundError("Doctor", { doctorId });
  return data;
}

/** 422 unless every clinic exists in the region and is active. */
async function requireActiveClinics(db: Db, regionId: string, clinicIds: readonly string[]): Promise<void> {
  const found = await Promise.all(clinicIds.map((clinicId) => db.clinic.get({ clinicId }).go({ consistent: true })));
  const unusable = clinicIds.filter((_, i) => {
    const clinic = found[i]!.data;
    return !clinic || clinic.regionId !== regionId || !clinic.active;
  });
  if (unusable.length > 0) throw clinicsNotActive(unusable);
}

const clinicsNotActive = (clinicIds: string[]) =>
  new BusinessRuleError("CLINIC_NOT_ACTIVE", "A doctor can only work at active clinics of this region", { clinicIds });

/** The account must be a doctor's staff account of the region, and no other doctor's. */
async function checkAccount(db: Db, regionId: string, userSub: string, doctorId: string): Promise<void> {
  const [{ data: staff }, { data: doctors }] = await Promise.all([
    db.staffMember.get({ sub: userSub }).go(),
    db.doctor.query.byRegion({ regionId }).go({ pages: "all", attributes: ["doctorId", "userSub"] }),
  ]);
  if (!staff || staff.regionId !== regionId || !staff.roles.includes("doctor")) {
    throw new BusinessRuleError("NOT_A_DOCTOR_ACCOUNT", "userSub names no doctor's staff account of this region", { userSub });
  }
  const other = doctors.find((d) => d.userSub === userSub && d.doctorId !== doctorId);
  if (other) {
    throw new ConflictError("ACCOUNT_ALREADY_LINKED", "That staff account is another doctor's", { userSub, doctorId: other.doctorId });
  }
}

/** Future bookings an update would strand: at clinics the doctor leaves, of types needing a skill they lose. */
async function bookingsLosingDoctor(db: Db, current: Doctor, next: Doctor, now: number): Promise<AffectedBooking[]> {
  const leftClinics = current.clinicIds.filter((c) => !next.clinicIds.includes(c));
  const lostSkills = current.skills.filter((s) => !next.skills.includes(s));
  if (leftClinics.length === 0 && lostSkills.length === 0) return [];
  const bookings = await futureBookingsOfDoctor(db, current.doctorId, now);
  const typeIds = lostSkills.length > 0 ? [...new Set(bookings.map((b) => b.typeId))] : [];
  const types = await Promise.all(typeIds.map((typeId) => db.appointmentType.get({ typeId }).go()));
  const skillOf = new Map(typeIds.map((typeId, i) => [typeId, types[i]!.data?.requiredSkill]));
  return bookings.filter((b) => {
    const skill = skillOf.get(b.typeId);
    return leftClinics.includes(b.clinicId) || (skill !== undefined && lostSkills.includes(skill));
  });
}

/** Bookings out of the way (re-assigned), or 409 listing those that are not. */
async function settleBookings(doctor: Doctor, bookings: AffectedBooking[], options: DoctorChangeOptions, input: CatalogWrite) {
  if (bookings.length === 0) return;
  const remaining = options.reassign
    ? (await options.reassign({ doctor, bookings, actor: input.actor, now: input.now })).remaining
    : bookings;
  if (remaining.length === 0) return;
  throw new ConflictError(
    "DOCTOR_HAS_BOOKINGS",
    `${remaining.length} future appointment(s) would lose their doctor; they must be re-assigned first`,
    { doctorId: doctor.doctorId, ...bookingsSummary(remaining) },
  );
}

const subject = (doctorId: string, clinicId: string) => ({ type: "doctor", id: doctorId, clinicId });

export async function createDoctor(db: Db, input: CatalogWrite & { doctor: CreateDoctor; access: ClinicAccess }): Promise<Doctor> {
  for (const clinicId of input.doctor.clinicIds) input.access.clinic(clinicId);
  await requireActiveClinics(db, input.regionId, input.doctor.clinicIds);
  if (input.doctor.userSub) await checkAccount(db, input.regionId, input.doctor.userSub, input.doctor.doctorId);
  const doctor: Doctor = defined({
    ...input.doctor,
    regionId: input.regionId,
    template: NO_AVAILABILITY,
    overrides: [],
    active: true,
    updatedAt: nextUpdatedAt(undefined, input.now),
  });
  const after = defined({ ...Object.fromEntries(DOCTOR_FIELDS.map((f) => [f, doctor[f]])), active: true });
  const clinicIds = doctor.clinicIds;
  await commitChange(
    db,
    (tx) => [
      tx.doctor.create(doctor).commit(),
      // The clinics are still active as the doctor joins them (a deactivation may run meanwhile).
      ...clinicIds.map((clinicId) => tx.clinic.check({ clinicId }).where((attr, op) => op.eq(attr.active, true)).commit()),
      ...clinicIds.map((clinicId) => auditEntryItem(tx, subject(doctor.doctorId, clinicId), "doctor.created", input.actor, input.now, { after })),
    ],
    (index) =>
      index === 0
        ? new ConflictError("DOCTOR_EXISTS", `A doctor with the id "${doctor.doctorId}" exists already`, { doctorId: doctor.doctorId })
        : index <= clinicIds.length
          ? clinicsNotActive([clinicIds[index - 1]!])
          : changedMeanwhile(),
  );
  return doctor;
}

export async function updateDoctor(
  db: Db,
  input: CatalogWrite & { doctorId: string; update: UpdateDoctor; access: ClinicAccess },
  options: DoctorChangeOptions = {},
): Promise<{ doctor: Doctor; changed: string[] }> {
  const current = await getDoctor(db, input.regionId, input.doctorId, input.access);
  const next = applyUpdate(current, input.update, DOCTOR_FIELDS);
  const concerned = union(current.clinicIds, next.clinicIds);
  for (const clinicId of concerned) input.access.clinic(clinicId);
  checkExpected(current, input.update.expectedUpdatedAt);
  const change = changesOf(current, next, DOCTOR_FIELDS);
  if (change.fields.length === 0) return { doctor: current, changed: [] };

  const joined = next.clinicIds.filter((c) => !current.clinicIds.includes(c));
  await requireActiveClinics(db, input.regionId, joined);
  if (next.userSub && next.userSub !== current.userSub) await checkAccount(db, input.regionId, next.userSub, current.doctorId);
  await settleBookings(current, await bookingsLosingDoctor(db, current, next, input.now), options, input);

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  const { set, remove } = patchOf(change);
  await commitChange(
    db,
    (tx) => {
      const patch = tx.doctor.patch({ doctorId: current.doctorId }).set({ ...set, updatedAt });
      return [
        (remove.length > 0 ? patch.remove(remove as never) : patch).where(unchangedSince(current.updatedAt)).commit(),
        ...joined.map((clinicId) => tx.clinic.check({ clinicId }).where((attr, op) => op.eq(attr.active, true)).commit()),
        ...concerned.map((clinicId) =>
          auditEntryItem(tx, subject(current.doctorId, clinicId), "doctor.updated", input.actor, input.now, { before: change.before, after: change.after }),
        ),
      ];
    },
    (index) => (index >= 1 && index <= joined.length ? clinicsNotActive([joined[index - 1]!]) : changedMeanwhile()),
  );
  return { doctor: { ...next, updatedAt }, changed: change.fields };
}

/**
 * Deactivates a doctor. Future bookings refuse it (409 listing them) unless `reassign`: then it
 * follows the leave path — the deactivation commits first and bumps the schedule version (no
 * booking can land on the doctor after it), then every future appointment of the doctor is
 * moved to another free qualified doctor or marked for the patient to reschedule.
 */
export async function deactivateDoctor(
  db: Db,
  input: CatalogWrite & { doctorId: string; access: ClinicAccess; reassign?: boolean },
): Promise<{ doctor: Doctor; changed: boolean; outcome?: ReassignOutcome }> {
  const current = await getDoctor(db, input.regionId, input.doctorId, input.access);
  for (const clinicId of current.clinicIds) input.access.clinic(clinicId);
  if (!current.active) return { doctor: current, changed: false };
  if (!input.reassign) await settleBookings(current, await futureBookingsOfDoctor(db, current.doctorId, input.now), {}, input);

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  const scheduleVersion = (current.scheduleVersion ?? 0) + 1;
  await commitChange(
    db,
    (tx) => [
      tx.doctor
        .patch({ doctorId: current.doctorId })
        .set({ active: false, updatedAt, scheduleVersion })
        .where(unchangedSince(current.updatedAt))
        .commit(),
      ...current.clinicIds.map((clinicId) =>
        auditEntryItem(tx, subject(current.doctorId, clinicId), "doctor.deactivated", input.actor, input.now, {
          before: { active: true },
          after: { active: false },
        }),
      ),
    ],
    () => changedMeanwhile(),
  );
  const outcome = input.reassign
    ? await moveOffDoctor(db, { doctorId: current.doctorId, fits: () => false, reason: "deactivated", actor: input.actor, now: input.now })
    : undefined;
  return { doctor: { ...current, active: false, updatedAt, scheduleVersion }, changed: true, outcome };
}
