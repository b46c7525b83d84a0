/**
 * Display names of the actors on a page of audit entries, so the viewer shows "Ada Admin"
 * rather than a Cognito sub.
 *
 * Only the actors of the entries on the page are resolved — entries the caller may already see —
 * so a name is never revealed for an id the caller merely typed into the actor filter. Only the
 * name is read (a projection), and only a name and what kind of record it came from are
 * answered: no e-mail, phone or clinics.
 *
 * Which record an id names follows the entry's `actorRole`: a patient acts with their profile's
 * id (the patients pool's `sub`), staff with their staff record's `sub`. Workflow and sweeper
 * ("system:…") and ids without a record stay ids: they are absent from the answer. One
 * BatchGetItem per kind of record (100 keys each), never a read per actor.
 */
import { staffRoles, type Db } from "../entities";
import { getAllByKeys } from "./batch";

export interface ActorName {
  name: string;
  /** Which record the name comes from: the entry's `actorRole` says in which role they acted. */
  role: "staff" | "patient";
}
export type ActorNames = Record<string, ActorName>;

const STAFF_ROLES: ReadonlySet<string> = new Set(staffRoles);

/** The distinct ids of `entries`' actors, by the kind of record that would name them. */
function actorIds(entries: ReadonlyArray<{ actorId: string; actorRole: string }>) {
  const staff = new Set<string>();
  const patients = new Set<string>();
  for (const e of entries) {
    if (e.actorRole === "patient") patients.add(e.actorId);
    else if (STAFF_ROLES.has(e.actorRole)) staff.add(e.actorId);
  }
  return { staff: [...staff], patients: [...patients] };
}

export async function actorNames(db: Db, entries: ReadonlyArray<{ actorId: string; actorRole: string }>): Promise<ActorNames> {
  const ids = actorIds(entries);
  const [staff, patients] = await Promise.all([
    ids.staff.length
      ? getAllByKeys((keys) => db.staffMember.get(keys).go({ attributes: ["sub", "name"] }), ids.staff.map((sub) => ({ sub })))
      : [],
    ids.patients.length
      ? getAllByKeys((keys) => db.patient.get(keys).go({ attributes: ["patientId", "name"] }), ids.patients.map((patientId) => ({ patientId })))
      : [],
  ]);
  const names: ActorNames = {};
  for (const s of staff) names[s.sub] = { name: s.name, role: "staff" };
  for (const p of patients) names[p.patientId] = { name: p.name, role: "patient" };
  return names;
}
