/**
 * Appointment types, as administrators manage them. Types are region-wide: their audit entries
 * go to the region's chain (REGION_AUDIT_CLINIC_ID), subjectType "appointmentType".
 *
 * An update is checked as a whole: the stored type with the update applied must pass the
 * type's rules (admin/schemas.ts `typeSettingsSchema`), so e.g. switching pre-screening on
 * needs a questionnaire, given now or stored before. Appointments already booked keep what
 * they were booked with (their times and blocks are stored on them); a deactivated type is
 * bookable no more, and its booked appointments stay as they are.
 *
 * Reactivating makes it bookable again — only if it could be booked: its stored settings must
 * pass today's rules (a type stored before a rule existed, or written around the API, might not;
 * booking it would then fail). Else 409 TYPE_NOT_OFFERABLE with the issues, to be fixed with an
 * update first (an inactive type can be edited).
 */
import { auditEntryItem, REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import type { AppointmentType, Db } from "../entities";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
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
} from "./change";
import { TYPE_FIELDS, typeSettingsSchema, validate, type CreateType, type UpdateType } from "./schemas";

const subject = (typeId: string) => ({ type: "appointmentType", id: typeId, clinicId: REGION_AUDIT_CLINIC_ID });

/** Every type of the region, inactive ones included, by name. */
export async function listAdminTypes(db: Db, regionId: string): Promise<AppointmentType[]> {
  const { data } = await db.appointmentType.query.byRegion({ regionId }).go({ pages: "all" });
  return data.sort((a, b) => a.name.localeCompare(b.name));
}

async function getType(db: Db, regionId: string, typeId: string): Promise<AppointmentType> {
  const { data } = await db.appointmentType.get({ typeId }).go({ consistent: true });
  if (!data || data.regionId !== regionId) throw new NotFoundError("Appointment type", { typeId });
  return data;
}

export async function createAppointmentType(db: Db, input: CatalogWrite & { type: CreateType }): Promise<AppointmentType> {
  const type: AppointmentType = defined({ ...input.type, regionId: input.regionId, active: true, updatedAt: nextUpdatedAt(undefined, input.now) });
  const { updatedAt: _at, ...fields } = type;
  await commitChange(
    db,
    (tx) => [
      tx.appointmentType.create(type).commit(),
      auditEntryItem(tx, subject(type.typeId), "appointmentType.created", input.actor, input.now, { after: fields }),
    ],
    (index) =>
      index === 0
        ? new ConflictError("TYPE_EXISTS", `An appointment type with the id "${type.typeId}" exists already`, { typeId: type.typeId })
        : changedMeanwhile(),
  );
  return type;
}

export async function updateAppointmentType(
  db: Db,
  input: CatalogWrite & { typeId: string; update: UpdateType },
): Promise<{ type: AppointmentType; changed: string[] }> {
  const current = await getType(db, input.regionId, input.typeId);
  checkExpected(current, input.update.expectedUpdatedAt);
  const merged = applyUpdate(current, input.update, TYPE_FIELDS);
  const settings = validate(typeSettingsSchema, Object.fromEntries(TYPE_FIELDS.map((f) => [f, merged[f]])), "appointment type");
  const next: AppointmentType = { ...merged, ...settings };
  const change = changesOf(current, next, TYPE_FIELDS);
  if (change.fields.length === 0) return { type: current, changed: [] };

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  const { set, remove } = patchOf(change);
  await commitChange(
    db,
    (tx) => {
      const patch = tx.appointmentType.patch({ typeId: current.typeId }).set({ ...set, updatedAt });
      return [
        (remove.length > 0 ? patch.remove(remove as never) : patch).where(unchangedSince(current.updatedAt)).commit(),
        auditEntryItem(tx, subject(current.typeId), "appointmentType.updated", input.actor, input.now, { before: change.before, after: change.after }),
      ];
    },
    () => changedMeanwhile(),
  );
  return { type: { ...next, updatedAt }, changed: change.fields };
}

export async function deactivateAppointmentType(
  db: Db,
  input: CatalogWrite & { typeId: string },
): Promise<{ type: AppointmentType; changed: boolean }> {
  const current = await getType(db, input.regionId, input.typeId);
  if (!current.active) return { type: current, changed: false };
  const updatedAt = await commitActive(db, input, {
    active: false,
    previous: current.updatedAt,
    write: (tx, set) => tx.appointmentType.patch({ typeId: current.typeId }).set(set).where(unchangedSince(current.updatedAt)).commit(),
    subject: subject(current.typeId),
    action: "appointmentType.deactivated",
  });
  return { type: { ...current, active: false, updatedAt }, changed: true };
}

/** 409 unless the stored type passes the type's rules (what booking it relies on). */
function requireOfferable(type: AppointmentType): void {
  try {
    validate(typeSettingsSchema, Object.fromEntries(TYPE_FIELDS.map((f) => [f, type[f]])), "appointment type");
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ConflictError(
      "TYPE_NOT_OFFERABLE",
      "This appointment type's settings break the type's rules, so it cannot be booked; correct them (PUT) before reactivating it",
      { typeId: type.typeId, issues: error.details },
    );
  }
}

export async function reactivateAppointmentType(
  db: Db,
  input: CatalogWrite & { typeId: string },
): Promise<{ type: AppointmentType; changed: boolean }> {
  const current = await getType(db, input.regionId, input.typeId);
  if (current.active) return { type: current, changed: false };
  requireOfferable(current);
  // Still the settings checked: any update meanwhile changed `updatedAt`.
  const updatedAt = await commitActive(db, input, {
    active: true,
    previous: current.updatedAt,
    write: (tx, set) => tx.appointmentType.patch({ typeId: current.typeId }).set(set).where(unchangedSince(current.updatedAt)).commit(),
    subject: subject(current.typeId),
    action: "appointmentType.reactivated",
  });
  return { type: { ...current, active: true, updatedAt }, changed: true };
}
