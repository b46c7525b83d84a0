import type { Db } from "./entities";

/** Active clinics of a region, by name. */
export async function listClinics(db: Db, regionId: string) {
  const { data } = await db.clinic.query.byRegion({ regionId }).go({ pages: "all" });
  return data.filter((c) => c.active).sort((a, b) => a.name.localeCompare(b.name));
}

/** Active appointment types of a region, by name. */
export async function listAppointmentTypes(db: Db, regionId: string) {
  const { data } = await db.appointmentType.query.byRegion({ regionId }).go({ pages: "all" });
  return data.filter((t) => t.active).sort((a, b) => a.name.localeCompare(b.name));
}
