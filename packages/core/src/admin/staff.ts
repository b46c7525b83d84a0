/**
 * Staff records and the staff pool accounts behind them, as administrators manage them: who (the
 * staff pool's `sub`), which roles (the account's groups), which clinics, which doctor record.
 * `inviteStaff` creates the account (Cognito e-mails the invitation) and its record;
 * `updateStaff` changes a record and makes the account follow it (groups = roles; disabled and
 * signed out everywhere while inactive). The pool is reached through `StaffAccounts`
 * (functions/lib/staff-accounts.ts: Cognito, or the local runtime's stand-in behind the same SDK).
 *
 * Who may: an administrator changes a record only if every clinic it names, before and after, is
 * theirs (403 otherwise); a record of no clinic (support, who help patients of every clinic) any
 * administrator of the region may keep. Every change is one transaction with its audit entries (one per clinic concerned), and
 * linking a doctor record sets the doctor's `userSub` in the same transaction.
 *
 * The pool and the table cannot share a transaction, so the writes are ordered for a crash to
 * leave what the same request, retried, repairs (each step converges on the desired state rather
 * than applying a difference):
 * - invite: checks first (nothing is created for a request that would be refused) → account
 *   (an existing one of that e-mail is adopted: the retry of a half-done invitation) → groups →
 *   record (conditional on there being none). A crash before the record leaves an account that
 *   can sign in but is let in nowhere: the matrix also requires an active record with the role.
 * - update: record first → then the account. The record is what the matrix checks on every
 *   request, so a role taken away or a deactivation is in force at once even if the account's
 *   part fails; groups and enabled state then follow when the request is retried.
 */
import { z } from "zod";
import { auditEntryItem, REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import { staffRoles, type Db, type StaffMember } from "../entities";
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from "../errors";
import { changedMeanwhile, checkExpected, commitChange, nextUpdatedAt, type CatalogWrite, type ClinicAccess } from "./change";

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
    /** The `updatedAt` of the record the client edited: 409 CHANGED_MEANWHILE if it changed since
     * (a stale form must not, say, re-enable an account another admin just deactivated). */
    expectedUpdatedAt: z.iso.datetime({ message: "expected the updatedAt of the record, as the API gave it" }).optional(),
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

/** The staff pool as the staff functions need it. */
export interface StaffAccounts {
  /** Creates the pool user of the e-mail (Cognito sends the invitation); an existing user of
   * that e-mail is returned as it is, `created: false` — how a retried invitation converges. */
  invite(input: { email: string; name: string }): Promise<StaffAccount & { created: boolean }>;
  /** The pool user of a `sub`, if the pool has one. */
  find(sub: string): Promise<StaffAccount | undefined>;
  /** Makes the user's groups exactly the roles (of the pool's groups) and the account enabled
   * iff `active` (disabling also signs it out everywhere). Idempotent. */
  sync(account: StaffAccount, state: { roles: readonly StaffRole[]; active: boolean }): Promise<void>;
}
export interface StaffAccount {
  sub: string;
  /** The pool's username (for Cognito's Admin* calls). */
  username: string;
}
export type StaffRole = (typeof staffRoles)[number];

type StaffWrite = CatalogWrite & { record: StaffRecordInput; access: ClinicAccess };

/**
 * What refuses a record before anything is written: clinics (403 not the caller's, 422 not
 * active), self-demotion, the doctor record (422 unknown, 409 another account's). `sub` is
 * unknown before an invitation: then any linked doctor record is another account's.
 */
async function checkRecord(db: Db, input: StaffWrite & { sub?: string; current?: StaffMember }) {
  const { record, current } = input;
  const concerned = [...new Set([...(current?.clinicIds ?? []), ...record.clinicIds])];
  for (const clinicId of concerned) input.access.clinic(clinicId);
  if (grantsSupport(record, current)) await requireEveryClinic(db, input);
  if (input.sub !== undefined && input.actor.id === input.sub && current?.roles.includes("admin") && (!record.roles.includes("admin") || !record.active)) {
    throw new BusinessRuleError("SELF_DEMOTION", "You cannot take away your own admin role or account; ask another administrator");
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
  return { concerned, linking };
}

/** Whether a write gives someone active support access they did not have: support reaches the
 * patients of every clinic of the region, whatever clinics the record names. */
const grantsSupport = (record: StaffRecordInput, current: StaffMember | undefined) =>
  record.active && record.roles.includes("support") && !(current?.active !== false && current?.roles.includes("support"));

/**
 * 403 unless the caller administers every active clinic of the region: only such an
 * administrator may hand out region-wide access (an admin of one clinic must not be able to give
 * someone — or a second account of theirs — the patients of every clinic). Keeping, changing or
 * taking away an existing support record stays with any administrator.
 */
async function requireEveryClinic(db: Db, input: StaffWrite): Promise<void> {
  const reach = input.access.clinics();
  if (!reach) return;
  const { data } = await db.clinic.query.byRegion({ regionId: input.regionId }).go({ pages: "all", attributes: ["clinicId", "active"] });
  const outside = data.filter((c) => c.active && !reach.includes(c.clinicId)).map((c) => c.clinicId);
  if (outside.length > 0) {
    throw new ForbiddenError(
      "Only an administrator of every clinic of the region may give the support role: support reaches the patients of every clinic",
      "REGION_ADMIN_REQUIRED",
      { clinicIds: outside },
    );
  }
}

const staffExists = (sub: string) => new ConflictError("STAFF_EXISTS", "This e-mail's account already has a staff record; change it instead", { sub });

/**
 * Invites a staff member: account, groups, record (see the module doc for the order). 409
 * `STAFF_EXISTS` when the e-mail's account already has a record (in any region).
 */
export async function inviteStaff(db: Db, accounts: StaffAccounts, input: StaffWrite) {
  // An invitation e-mail cannot be taken back: refuse first what the record write would refuse.
  await checkRecord(db, input);
  const account = await accounts.invite({ email: input.record.email, name: input.record.name });
  // Before the groups: a 409 must not change the groups of someone who already works here.
  // (A read, but not the guard: the record's put below is conditional on there being none.)
  const { data: existing } = await db.staffMember.get({ sub: account.sub }).go({ consistent: true });
  if (existing) throw staffExists(account.sub);
  await accounts.sync(account, input.record);
  const { member } = await putStaff(db, { ...input, sub: account.sub, createOnly: true });
  return { member, invited: account.created };
}

/**
 * Creates or replaces a record, then makes its pool account follow (record first: see the module
 * doc). `account: false` when the pool has no user of that `sub` — the record is written (it lets
 * no one in without an account) and there is nothing to follow it.
 */
export async function updateStaff(db: Db, accounts: StaffAccounts, input: StaffWrite & { sub: string }) {
  // The record before any call to the pool: a deactivation is in force even while Cognito fails.
  const result = await putStaff(db, input);
  const account = await accounts.find(input.sub);
  if (account) await accounts.sync(account, input.record);
  return { ...result, account: Boolean(account) };
}

/** Creates or replaces a staff record (`createOnly`: 409 `STAFF_EXISTS` if there is one). */
export async function putStaff(
  db: Db,
  input: StaffWrite & { sub: string; createOnly?: boolean },
): Promise<{ member: StaffMember; created: boolean }> {
  const { record } = input;
  const { data: current } = await db.staffMember.get({ sub: input.sub }).go({ consistent: true });
  if (current && input.createOnly) throw staffExists(input.sub);
  if (current && current.regionId !== input.regionId) throw new NotFoundError("Staff member", { sub: input.sub });
  if (current) checkExpected(current, record.expectedUpdatedAt);
  const { concerned, linking } = await checkRecord(db, { ...input, current: current ?? undefined });

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
        : index === 0 && input.createOnly
          ? staffExists(input.sub)
          : changedMeanwhile(),
  );
  return { member, created: !current };
}
