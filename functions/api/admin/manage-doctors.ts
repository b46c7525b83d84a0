import { createDoctor, deactivateDoctor, listAdminDoctors, reactivateDoctor, updateDoctor } from "@carebook/core/admin/doctors";
import { adminDoctorView } from "@carebook/core/admin/schemas";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { catalogWrite, regionId } from "./manage-common";

export const list = httpHandler("GET /api/admin/doctors", async ({ caller, query }) => {
  const doctors = await listAdminDoctors(dynamo().db, regionId(), caller.access, query.clinicId);
  return json(200, { doctors: doctors.map(adminDoctorView) });
});

export const create = httpHandler(
  "POST /api/admin/doctors",
  async (request) => {
    const doctor = await createDoctor(dynamo().db, { ...catalogWrite(request), doctor: request.body, access: request.caller.access });
    return json(201, adminDoctorView(doctor));
  },
  { idempotent: true },
);

/** Refused (409 DOCTOR_HAS_BOOKINGS) when leaving a clinic or a skill strands future bookings,
 * unless `reassign: true`: then they are moved as on deactivation, listed in `outcome`. */
export const update = httpHandler("PUT /api/admin/doctors/{doctorId}", async (request) => {
  const { doctor, changed, outcome } = await updateDoctor(dynamo().db, {
    ...catalogWrite(request),
    doctorId: request.path.doctorId,
    update: request.body,
    access: request.caller.access,
  });
  return json(200, { doctor: adminDoctorView(doctor), changed, outcome });
});

/** Refused (409 DOCTOR_HAS_BOOKINGS) while the doctor has future bookings, unless `reassign: true`:
 * then the bookings follow the leave path (moved to other doctors, or the patients asked to
 * pick another time), listed in `outcome`. */
export const deactivate = httpHandler("POST /api/admin/doctors/{doctorId}/deactivate", async (request) => {
  const { doctor, changed, outcome } = await deactivateDoctor(dynamo().db, {
    ...catalogWrite(request),
    doctorId: request.path.doctorId,
    access: request.caller.access,
    reassign: request.body.reassign,
  });
  return json(200, { doctor: adminDoctorView(doctor), changed, outcome: outcome ?? null });
});

/** Bookable again at their active clinics (409 DOCTOR_HAS_NO_ACTIVE_CLINIC when none is); idempotent. */
export const reactivate = httpHandler("POST /api/admin/doctors/{doctorId}/reactivate", async (request) => {
  const { doctor, changed } = await reactivateDoctor(dynamo().db, {
    ...catalogWrite(request),
    doctorId: request.path.doctorId,
    access: request.caller.access,
  });
  return json(200, { doctor: adminDoctorView(doctor), changed });
});
