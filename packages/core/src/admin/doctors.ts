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
 * DOCTOR_HAS_BOOKINGS listing them — unless the caller passes `reassign`: then it follows the
 * leave path (appointment/reassign.ts). The change commits first and bumps the doctor's
 * `scheduleVersion`, which every booking checks, so no booking can land on what the doctor no
 * longer offers; then each future appointment the doctor can no longer see goes to another free,
 * qualified doctor of its clinic at the same time, or its patient is asked to pick a new time.
 * Such an update re-checks the bookings after its commit even without `reassign` (as a change
 * of working hours does): one booked between the check and the commit is moved, not stranded.
 *
 * A deactivated doctor can be reactivated while at least one of their clinics is active.
 */
import { moveOffDoctor, type ReassignOutcome } from "../appointment/reassign";
import { scheduleVersionIs, type Tx } from "../appointment/tx";
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

/** Those of `clinicIds` that exist in the region and are active (read consistently). */
async function activeClinics(db: Db, regionId: string, clinicIds: readonly string[]): Promise<string[]> {
  const found = await Promise.all(clinicIds.map((clinicId) => db.clinic.get({ clinicId }).go({ consistent: true })));
  return clinicIds.filter((_, i) => {
    const clinic = found[i]!.data;
    return clinic !== null && clinic.regionId === regionId && clinic.active;
  });
}

/** 422 unless every clinic exists in the region and is active. */
async function requireActiveClinics(db: Db, regionId: string, clinicIds: readonly string[]): Promise<void> {
  const active = await activeClinics(db, regionId, clinicIds);
  const unusable = clinicIds.filter((c) => !active.includes(c));
  if (unusable.length > 0) throw clinicsNotActive(unusable);
}

/** The transaction's check that a clinic is still active (a deactivation may run meanwhile). */
const clinicStillActive = (tx: Tx, clinicId: string) =>
  tx.clinic.check({ clinicId }).where((attr, op) => op.eq(attr.active, true)).commit();

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

/** Whether an update takes a clinic or a skill away from the doctor (what bookings may need). */
const takesAway = (current: Doctor, next: Doctor) =>
  current.clinicIds.some((c) => !next.clinicIds.includes(c)) || current.skills.some((s) => !next.skills.includes(s));

type Booked = { clinicId: string; typeId: string };

/**
 * Whether `doctor` (as an update leaves them) can see a booking: at one of their clinics, of a
 * type whose required skill they have. Synchronous — the moves ask it of every appointment — so
 * the region's types' skills are read once, up front.
 */
async function canSee(db: Db, regionId: string, doctor: Pick<Doctor, "clinicIds" | "skills">): Promise<(b: Booked) => boolean> {
  const { data } = await db.appointmentType.query.byRegion({ regionId }).go({ pages: "all", attributes: ["typeId", "requiredSkill"] });
  const skillOf = new Map(data.map((t) => [t.typeId, t.requiredSkill]));
  return (b) => {
    const skill = skillOf.get(b.typeId);
    return doctor.clinicIds.includes(b.clinicId) && (skill === undefined || doctor.skills.includes(skill));
  };
}

/** Moves the doctor's future appointments they cannot see (appointment/reassign.ts). */
const moveUnseen = (db: Db, doctorId: string, sees: (b: Booked) => boolean, input: CatalogWrite) =>
  moveOffDoctor(db, { doctorId, fits: sees, reason: "availability", actor: input.actor, now: input.now });

/** 409 listing the bookings a change would strand, if any. */
function refuseStranding(doctor: Doctor, stranded: AffectedBooking[]): void {
  if (stranded.length === 0) return;
  throw new ConflictError(
    "DOCTOR_HAS_BOOKINGS",
    `${stranded.length} future appointment(s) would lose their doctor; they must be re-assigned first (send "reassign": true to move them)`,
    { doctorId: doctor.doctorId, ...bookingsSummary(stranded) },
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
      ...clinicIds.map((clinicId) => clinicStillActive(tx, clinicId)),
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

/**
 * Changes a doctor. An update that takes a clinic or a skill away from them (see the top of this
 * file) bumps their schedule version and then moves what they can no longer see; `outcome` says
 * what happened to each such appointment (null when the update took nothing away). Sent again
 * with `reassign` once it is saved, it changes nothing and finishes the moves a crash cut short.
 */
export async function updateDoctor(
  db: Db,
  input: CatalogWrite & { doctorId: string; update: UpdateDoctor; access: ClinicAccess },
): Promise<{ doctor: Doctor; changed: string[]; outcome: ReassignOutcome | null }> {
  const current = await getDoctor(db, input.regionId, input.doctorId, input.access);
  const next = applyUpdate(current, input.update, DOCTOR_FIELDS);
  const concerned = union(current.clinicIds, next.clinicIds);
  for (const clinicId of concerned) input.access.clinic(clinicId);
  checkExpected(current, input.update.expectedUpdatedAt);
  const change = changesOf(current, next, DOCTOR_FIELDS);
  const reassign = input.update.reassign === true;
  if (change.fields.length === 0) {
    const outcome = reassign ? await moveUnseen(db, current.doctorId, await canSee(db, input.regionId, current), input) : null;
    return { doctor: current, changed: [], outcome };
  }

  const joined = next.clinicIds.filter((c) => !current.clinicIds.includes(c));
  await requireActiveClinics(db, input.regionId, joined);
  if (next.userSub && next.userSub !== current.userSub) await checkAccount(db, input.regionId, next.userSub, current.doctorId);
  const loss = takesAway(current, next);
  const sees = loss ? await canSee(db, input.regionId, next) : undefined;
  if (sees && !reassign) {
    refuseStranding(current, (await futureBookingsOfDoctor(db, current.doctorId, input.now)).filter((b) => !sees(b)));
  }

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  // Taking something away bumps the schedule version: a booking decided on the doctor as read
  // before this commit fails its check and is decided again, without them.
  const scheduleVersion = loss ? (current.scheduleVersion ?? 0) + 1 : current.scheduleVersion;
  const { set, remove } = patchOf(change);
  await commitChange(
    db,
    (tx) => {
      const patch = tx.doctor.patch({ doctorId: current.doctorId }).set({ ...set, updatedAt, ...(loss ? { scheduleVersion } : {}) });
      const write = (remove.length > 0 ? patch.remove(remove as never) : patch).where(unchangedSince(current.updatedAt));
      return [
        // The version bumped is the one read (working hours change it, not `updatedAt`).
        (loss ? write.where(scheduleVersionIs(current.scheduleVersion)) : write).commit(),
        ...joined.map((clinicId) => clinicStillActive(tx, clinicId)),
        ...concerned.map((clinicId) =>
          auditEntryItem(tx, subject(current.doctorId, clinicId), "doctor.updated", input.actor, input.now, {
            before: change.before,
            after: change.after,
            ...(loss ? { reassign } : {}),
          }),
        ),
      ];
    },
    (index) => (index >= 1 && index <= joined.length ? clinicsNotActive([joined[index - 1]!]) : changedMeanwhile()),
  );
  // After the commit, so one booked just before it is found too.
  const outcome = sees ? await moveUnseen(db, current.doctorId, sees, input) : null;
  return { doctor: { ...next, updatedAt, scheduleVersion }, changed: change.fields, outcome };
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
  if (!input.reassign) refuseStranding(current, await futureBookingsOfDoctor(db, current.doctorId, input.now));

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  const scheduleVersion = (current.scheduleVersion ?? 0) + 1;
  await commitChange(
    db,
    (tx) => [
      tx.doctor
        .patch({ doctorId: current.doctorId })
        .set({ active: false, updatedAt, scheduleVersion })
        .where(unchangedSince(current.updatedAt))
        // Working hours changed meanwhile (they leave `updatedAt` alone): the version read is
        // the one bumped, never a number someone else's change already took.
        .where(scheduleVersionIs(current.scheduleVersion))
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

/**
 * Reactivates a doctor: bookable again with their working hours, at those of their clinics that
 * are active. At least one must be (else 409 DOCTOR_HAS_NO_ACTIVE_CLINIC: reactivate a clinic, or
 * move the doctor to an active one, first); the transaction checks that they still are. Their
 * bookings moved away at deactivation stay with the doctors who took them.
 */
export async function reactivateDoctor(
  db: Db,
  input: CatalogWrite & { doctorId: string; access: ClinicAccess },
): Promise<{ doctor: Doctor; changed: boolean }> {
  const current = await getDoctor(db, input.regionId, input.doctorId, input.access);
  for (const clinicId of current.clinicIds) input.access.clinic(clinicId);
  if (current.active) return { doctor: current, changed: false };
  const active = await activeClinics(db, input.regionId, current.clinicIds);
  if (active.length === 0) {
    throw new ConflictError(
      "DOCTOR_HAS_NO_ACTIVE_CLINIC",
      "Every clinic this doctor works at is inactive; reactivate one of them, or add the doctor to an active clinic, first",
      { doctorId: current.doctorId, inactiveClinicIds: current.clinicIds },
    );
  }

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  await commitChange(
    db,
    (tx) => [
      tx.doctor.patch({ doctorId: current.doctorId }).set({ active: true, updatedAt }).where(unchangedSince(current.updatedAt)).commit(),
      ...active.map((clinicId) => clinicStillActive(tx, clinicId)),
      ...current.clinicIds.map((clinicId) =>
        auditEntryItem(tx, subject(current.doctorId, clinicId), "doctor.reactivated", input.actor, input.now, {
          before: { active: false },
          after: { active: true },
          activeClinicIds: active,
        }),
      ),
    ],
    (index) =>
      index >= 1 && index <= active.length
        ? new ConflictError("CHANGED_MEANWHILE", "A clinic of this doctor was deactivated meanwhile; reload and try again", { clinicId: active[index - 1] })
        : changedMeanwhile(),
  );
  return { doctor: { ...current, active: true, updatedAt }, changed: true };
}
