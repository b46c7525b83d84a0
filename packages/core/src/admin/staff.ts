/**
 * Staff records, as administrators manage them: who (the staff pool's `sub`), which roles, which
 * clinics, which doctor record. The user itself — sign-in, TOTP, groups matching the roles — is
 * created in the staff user pool (Cognito console/CLI, or the hospital's identity provider); this
 * record says where they work, which is what the authorization matrix's `clinic` scope reads.
 *
 * Who may: an administrator changes a record only if every clinic it names, before and after, is
 * theirs (403 otherwise); a record of no clinic (support, who help patients of every clinic) any
 * administrator of the region may keep. Every change is one transaction with its audit entries (one per clinic concerned), and
 * linking a doctor record sets the doctor's `userSub` in the same transaction.
 */
import { z } from "zod";
import { auditEntryItem, REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import { staffRoles, type Db, type StaffMember } from "../entities";
import { BusinessRuleError, ConflictError, NotFoundError } from "../errors";
import { changedMeanwhile, commitChange, nextUpdatedAt, type CatalogWrite, type ClinicAccess } from "./change";

export const staffPathSchema = z.object({ sub: z.string().trim().min(1).max(128) });

export const staffRecordSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    email: z.string().trim().toLowerCase().pipe(z.email({ message: "an e-mail address" })),
    roles: z
      .array(z.enum(staffRoles))
      .min(1)
      .refine((r) => new Set(r).size === r.length, { message: "each role once" }),
    clinicIds: z.array(z.string().trim().min(1).max(100)).max(50).refine((c) => new Set(c).size === c.length, { message: "each clinic once" }),
    /** For a doctor: the doctor record this account is. */
    doctorId: z.string().trim().min(1).max(100).optional(),
    active: z.boolean().default(true),
  })
  .refine((r) => !r.doctorId || r.roles.includes("doctor"), { message: "only a doctor account links a doctor record", path: ["doctorId"] })
  .refine((r) => r.clinicIds.length > 0 || (r.roles.length === 1 && r.roles[0] === "support"), {
    message: "doctors, nurses and admins work at one clinic at least",
    path: ["clinicIds"],
  });
export type StaffRecordInput = z.infer<typeof staffRecordSchema>;

export function staffView(m: StaffMember) {
  return {
    sub: m.sub,
    name: m.name,
    email: m.email,
    roles: m.roles,
    clinicIds: m.clinicIds,
    doctorId: m.doctorId ?? null,
    active: m.active,
    updatedAt: m.updatedAt ?? null,
  };
}
export type StaffView = ReturnType<typeof staffView>;

/** The staff of the caller's clinics (all of the region's for a region-wide caller), by name. */
export async function listStaff(db: Db, regionId: string, access: ClinicAccess) {
  const reach = access.clinics();
  const { data } = await db.staffMember.query.byRegion({ regionId }).go({ pages: "all" });
  return data
    .filter((m) => !reach || m.clinicIds.some((c) => reach.includes(c)))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(staffView);
}

/** Creates or replaces a staff record. */
export async function putStaff(
  db: Db,
  input: CatalogWrite & { sub: string; record: StaffRecordInput; access: ClinicAccess },
): Promise<{ member: StaffMember; created: boolean }> {
  const { record } = input;
  const { data: current } = await db.staffMember.get({ sub: input.sub }).go({ consistent: true });
  if (current && current.regionId !== input.regionId) throw new NotFoundError("Staff member", { sub: input.sub });
  const concerned = [...new Set([...(current?.clinicIds ?? []), ...record.clinicIds])];
  for (const clinicId of concerned) input.access.clinic(clinicId);
  if (input.actor.id === input.sub && current?.roles.includes("admin") && !record.roles.includes("admin")) {
    throw new BusinessRuleError("SELF_DEMOTION", "You cannot take away your own admin role; ask another administrator");
  }
  const clinics = await Promise.all(record.clinicIds.map((clinicId) => db.clinic.get({ clinicId }).go()));
  const missing = record.clinicIds.filter((_, i) => !clinics[i]!.data?.active || clinics[i]!.data?.regionId !== input.regionId);
  if (missing.length > 0) throw new BusinessRuleError("CLINIC_NOT_ACTIVE", "Staff work at active clinics of this region", { clinicIds: missing });

  const linking = record.doctorId && record.doctorId !== current?.doctorId ? record.doctorId : undefined;
  if (linking) {
    const { data: doctor } = await db.doctor.get({ doctorId: linking }).go({ consistent: true });
    if (!doctor || doctor.regionId !== input.regionId) throw new BusinessRuleError("NO_SUCH_DOCTOR", "No such doctor record", { doctorId: linking });
    if (doctor.userSub && doctor.userSub !== input.sub) {
      throw new ConflictError("ACCOUNT_ALREADY_LINKED", "That doctor record belongs to another account", { doctorId: linking });
    }
  }

  const updatedAt = nextUpdatedAt(current?.updatedAt, input.now);
  const member: StaffMember = {
    sub: input.sub,
    regionId: input.regionId,
    name: record.name,
    email: record.email,
    roles: record.roles,
    clinicIds: record.clinicIds,
    doctorId: record.doctorId,
    active: record.active,
    updatedAt,
  };
  const before = current ? staffView(current) : null;
  await commitChange(
    db,
    (tx) => [
      tx.staffMember
        .put(member)
        .where((attr, op) =>
          !current
            ? op.notExists(attr.sub)
            : current.updatedAt === undefined
              ? op.notExists(attr.updatedAt)
              : op.eq(attr.updatedAt, current.updatedAt),
        )
        .commit(),
      ...(linking
        ? [
            tx.doctor
              .patch({ doctorId: linking })
              .set({ userSub: input.sub })
              .where((attr, op) => `${op.notExists(attr.userSub)} OR ${op.eq(attr.userSub, input.sub)}`)
              .commit(),
          ]
        : []),
      ...(concerned.length > 0 ? concerned : [REGION_AUDIT_CLINIC_ID]).map((clinicId) =>
        auditEntryItem(tx, { type: "staff", id: input.sub, clinicId }, current ? "staff.updated" : "staff.created", input.actor, input.now, {
          before,
          after: staffView(member),
        }),
      ),
    ],
    (index) =>
      index === 1 && linking
        ? new ConflictError("ACCOUNT_ALREADY_LINKED", "That doctor record belongs to another account", { doctorId: linking })
        : changedMeanwhile(),
  );
  return { member, created: !current };
}
