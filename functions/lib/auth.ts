/**
 * Authentication and authorization of an API request, from the route table's matrix row
 * (functions/routes.ts `roles`): who is calling (the authorizer's context), which of the
 * route's roles they act in, and — through `Access` — which resources that role reaches.
 *
 * Handlers never check roles themselves: they get a `Caller` whose `access` answers
 * "may this caller see this appointment / act on this clinic?" by the route's rule.
 */
import type { Actor } from "@carebook/core/appointment/tx";
import type { Appointment, Db, StaffMember } from "@carebook/core/entities/index";
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from "@carebook/core/errors";
import { allRoles, type Role, type RouteAccess, type Scope } from "../routes";
import { readAuthorizerContext, type Pool } from "./authorizer-context";

export interface Identity {
  sub: string;
  groups: string[];
  email?: string;
  /** Which user pool issued the token. */
  pool: Pool;
}

export interface Caller {
  sub: string;
  roles: Role[];
  /** The role the request acts in: the first of the route's roles the caller has. */
  role: Role;
  /** What that role reaches on this route. */
  scope: Scope;
  /** Who the audit trail and the appointment history name for this request's changes. */
  actor: Actor;
  email?: string;
  /** The staff record of a staff caller (doctor, nurse, admin, support). */
  staff?: StaffMember;
  access: Access;
}

const staffRoles: ReadonlySet<Role> = new Set(["doctor", "nurse", "admin", "support"]);

/** Who is calling, from the authorizer's context (functions/lib/authorizer-context.ts). 401 if no one. */
export function authenticate(event: { requestContext?: unknown }): Identity {
  const context = readAuthorizerContext(event.requestContext);
  if (!context) throw new UnauthorizedError();
  return { sub: context.sub, groups: context.groups.split(" ").filter(Boolean), email: context.email || undefined, pool: context.pool };
}

/**
 * The roles an identity holds. A patients-pool token is at most a patient, whatever other groups
 * it claims (no one can sign up into a staff role); a staff-pool token is never a patient.
 */
export function rolesOfIdentity(identity: Identity): Role[] {
  const known = identity.groups.filter((g): g is Role => (allRoles as readonly string[]).includes(g));
  if (identity.pool === "patients") return known.includes("patient") ? ["patient"] : [];
  return known.filter((r) => staffRoles.has(r));
}

/**
 * Picks the role the request acts in and loads the staff record a staff role needs (its
 * clinics, its doctor). 403 when the caller has none of the route's roles, or acts in a staff
 * role without an active staff record.
 */
export async function authorize(
  identity: Identity,
  access: RouteAccess,
  loadStaff: (sub: string) => Promise<StaffMember | undefined>,
): Promise<Caller> {
  const roles = rolesOfIdentity(identity);
  const role = (Object.keys(access) as Role[]).find((r) => roles.includes(r));
  if (!role) throw new ForbiddenError();
  const scope = access[role]!;
  let staff: StaffMember | undefined;
  if (staffRoles.has(role)) {
    staff = await loadStaff(identity.sub);
    if (!staff || !staff.active || !staff.roles.includes(role)) {
      throw new ForbiddenError("Your staff account is not set up for this role; ask an administrator", "STAFF_NOT_ENROLLED");
    }
  }
  const caller = { sub: identity.sub, roles, role, scope, actor: { id: identity.sub, role }, email: identity.email, staff } as Caller;
  caller.access = new Access(caller);
  return caller;
}

export async function loadStaffMember(db: Db, sub: string): Promise<StaffMember | undefined> {
  return (await db.staffMember.get({ sub }).go()).data ?? undefined;
}

type Owned = Pick<Appointment, "patientId" | "doctorId" | "clinicId">;

/** The route's ownership rule applied to resources, for the caller's role. */
export class Access {
  constructor(private readonly caller: Omit<Caller, "access">) {}

  get role(): Role {
    return this.caller.role;
  }

  /** Whether this caller may see the appointment under the route's rule. */
  allows(a: Owned): boolean {
    const { scope, role, sub, staff } = this.caller;
    if (scope === "any") return true;
    if (scope === "clinic") return staff?.clinicIds.includes(a.clinicId) ?? false;
    if (role === "patient") return a.patientId === sub;
    if (role === "doctor") return staff?.doctorId !== undefined && a.doctorId === staff.doctorId;
    return false;
  }

  /** The appointment, or 404: one the caller may not see does not exist for them. */
  appointment<T extends Owned>(a: T | undefined, appointmentId: string): T {
    if (!a || !this.allows(a)) throw new NotFoundError("Appointment", { appointmentId });
    return a;
  }

  /** The rule as the core's appointment functions take it (`AppointmentGuard`). */
  readonly guard = <T extends Owned>(a: T | undefined, appointmentId: string): T => this.appointment(a, appointmentId);

  /** 403 unless the caller may act on this clinic (scope `any`, or a clinic of theirs). */
  clinic(clinicId: string): void {
    if (this.caller.scope === "any") return;
    if (this.caller.scope === "clinic" && this.caller.staff?.clinicIds.includes(clinicId)) return;
    if (this.caller.scope === "own" && this.caller.staff?.clinicIds.includes(clinicId)) return;
    throw new ForbiddenError("That clinic is not one of yours", "NOT_YOUR_CLINIC", { clinicId });
  }

  /** The clinics the caller reaches: undefined = all (scope `any`), else a non-empty list (403
   * for a staff member who works for no clinic). */
  clinics(): readonly string[] | undefined {
    if (this.caller.scope === "any") return undefined;
    const clinicIds = this.caller.staff?.clinicIds ?? [];
    if (clinicIds.length === 0) throw new ForbiddenError("Your staff account works for no clinic yet; ask an administrator", "NO_CLINICS");
    return clinicIds;
  }

  /**
   * The doctor a per-doctor route is about: a doctor's own record (naming another finds
   * nothing: 404), or the doctor a nurse or admin names (400 without one), to be looked up
   * within `clinicIds`.
   */
  doctorTarget(requested: string | undefined): { doctorId: string; clinicIds: readonly string[] | undefined } {
    const scope = this.listScope();
    if ("doctorId" in scope) {
      if (requested && requested !== scope.doctorId) throw new NotFoundError("Doctor", { doctorId: requested });
      return { doctorId: scope.doctorId, clinicIds: undefined };
    }
    if (!requested) throw new ValidationError("Name the doctor", [{ path: "doctorId", message: "required", code: "custom" }], "DOCTOR_REQUIRED");
    return { doctorId: requested, clinicIds: scope.clinicIds };
  }

  /** The caller's own id when the route's rule is `own` (their own records only); undefined otherwise. */
  ownSub(): string | undefined {
    return this.caller.scope === "own" ? this.caller.sub : undefined;
  }

  /**
   * What a list of appointments may include: a doctor's own (scope `own`), or the caller's
   * clinics. 403 for an `own` caller who is no doctor record.
   */
  listScope(): { doctorId: string } | { clinicIds: readonly string[] | undefined } {
    if (this.caller.scope !== "own") return { clinicIds: this.clinics() };
    const doctorId = this.caller.role === "doctor" ? this.caller.staff?.doctorId : undefined;
    if (!doctorId) throw new ForbiddenError("Your staff account is not linked to a doctor record", "NOT_A_DOCTOR");
    return { doctorId };
  }
}
