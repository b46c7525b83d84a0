import { createClinic, deactivateClinic, listAdminClinics, reactivateClinic, updateClinic } from "@carebook/core/admin/clinics";
import { adminClinicView } from "@carebook/core/admin/schemas";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { catalogWrite, regionId } from "./manage-common";

export const list = httpHandler("GET /api/admin/clinics", async ({ caller }) => {
  const clinics = await listAdminClinics(dynamo().db, regionId(), caller.access);
  return json(200, { clinics: clinics.map(adminClinicView) });
});

export const create = httpHandler(
  "POST /api/admin/clinics",
  async (request) => {
    const clinic = await createClinic(dynamo().db, { ...catalogWrite(request), clinic: request.body, grantTo: request.caller.staff });
    return json(201, adminClinicView(clinic));
  },
  { idempotent: true },
);

export const update = httpHandler("PUT /api/admin/clinics/{clinicId}", async (request) => {
  const { clinic, changed } = await updateClinic(dynamo().db, {
    ...catalogWrite(request),
    clinicId: request.path.clinicId,
    update: request.body,
    access: request.caller.access,
  });
  return json(200, { clinic: adminClinicView(clinic), changed });
});

export const deactivate = httpHandler("POST /api/admin/clinics/{clinicId}/deactivate", async (request) => {
  const { clinic, changed, futureBookings } = await deactivateClinic(dynamo().db, {
    ...catalogWrite(request),
    clinicId: request.path.clinicId,
    force: request.body.force,
    access: request.caller.access,
  });
  return json(200, { clinic: adminClinicView(clinic), changed, futureBookings });
});

/** Back in the catalog; idempotent (an active clinic answers `changed: false`). */
export const reactivate = httpHandler("POST /api/admin/clinics/{clinicId}/reactivate", async (request) => {
  const { clinic, changed } = await reactivateClinic(dynamo().db, {
    ...catalogWrite(request),
    clinicId: request.path.clinicId,
    access: request.caller.access,
  });
  return json(200, { clinic: adminClinicView(clinic), changed });
});
