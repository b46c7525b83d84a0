/**
 * The admin catalog routes (clinics, doctors, appointment types, region settings), spread into
 * the route table (./routes.ts). Pure data, like the table itself.
 *
 * Authorization matrix rows: administrators only.
 * - A clinic, or a doctor (through the clinics they work at), is reached with scope `clinic`:
 *   the clinics of the admin's staff record. Creating a clinic concerns no existing clinic
 *   (`any`); its creator's staff record gains it, so they can manage it.
 * - Appointment types and the region's settings are region-wide: `any`.
 * - Staff records: `clinic` (every clinic a record names, before and after, must be the admin's).
 */
import {
  clinicPathSchema,
  createClinicSchema,
  createDoctorSchema,
  createTypeSchema,
  deactivateClinicSchema,
  deactivateDoctorSchema,
  deactivateTypeSchema,
  doctorPathSchema,
  listDoctorsQuerySchema,
  reactivateClinicSchema,
  reactivateDoctorSchema,
  reactivateTypeSchema,
  typePathSchema,
  updateClinicSchema,
  updateDoctorSchema,
  updateRegionSchema,
  updateTypeSchema,
} from "@carebook/core/admin/schemas";
import { staffPathSchema, staffRecordSchema } from "@carebook/core/admin/staff";
import type { AdminClinicView, AdminDoctorView, AdminTypeView, RegionSettingsView } from "@carebook/core/admin/schemas";
import type { StaffView } from "@carebook/core/admin/staff";
import type { deactivateClinic } from "@carebook/core/admin/clinics";
import type { deactivateDoctor, updateDoctor } from "@carebook/core/admin/doctors";
import { returns, type Result } from "./contract";
import type { RouteDefinition } from "./routes";

export const adminRoutes = {
  "GET /api/admin/clinics": {
    handler: "functions/api/admin/manage-clinics.list",
    table: "read",
    roles: { admin: "clinic" },
    description: "The administrator's clinics, inactive ones included",
    success: 200,
    response: returns<{ clinics: AdminClinicView[] }>(),
    request: {},
  },
  "POST /api/admin/clinics": {
    handler: "functions/api/admin/manage-clinics.create",
    table: "write",
    roles: { admin: "any" },
    description: "Create a clinic (409 if the id exists); the creating administrator's staff record gains it (audited)",
    success: 201,
    response: returns<AdminClinicView>(),
    request: { body: createClinicSchema },
  },
  "PUT /api/admin/clinics/{clinicId}": {
    handler: "functions/api/admin/manage-clinics.update",
    table: "write",
    roles: { admin: "clinic" },
    description: "Change a clinic's name, time zone, address or phone (fields left out stay; audited with before/after)",
    success: 200,
    response: returns<{ clinic: AdminClinicView; changed: string[] }>(),
    request: { path: clinicPathSchema, body: updateClinicSchema },
  },
  "POST /api/admin/clinics/{clinicId}/deactivate": {
    handler: "functions/api/admin/manage-clinics.deactivate",
    table: "write",
    roles: { admin: "clinic" },
    description: "Take a clinic out of the catalog; 409 listing its future appointments unless force (they stay booked; audited)",
    success: 200,
    response: returns<{ clinic: AdminClinicView; changed: boolean; futureBookings: Result<typeof deactivateClinic>["futureBookings"] }>(),
    request: { path: clinicPathSchema, body: deactivateClinicSchema },
  },
  "POST /api/admin/clinics/{clinicId}/reactivate": {
    handler: "functions/api/admin/manage-clinics.reactivate",
    table: "write",
    roles: { admin: "clinic" },
    description: "Bring an inactive clinic back into the catalog (an active one: changed false; audited)",
    success: 200,
    response: returns<{ clinic: AdminClinicView; changed: boolean }>(),
    request: { path: clinicPathSchema, body: reactivateClinicSchema },
  },
  "GET /api/admin/doctors": {
    handler: "functions/api/admin/manage-doctors.list",
    table: "read",
    roles: { admin: "clinic" },
    description: "The doctors of the administrator's clinics (or of one of them), inactive ones included",
    success: 200,
    response: returns<{ doctors: AdminDoctorView[] }>(),
    request: { query: listDoctorsQuerySchema },
  },
  "POST /api/admin/doctors": {
    handler: "functions/api/admin/manage-doctors.create",
    table: "write",
    roles: { admin: "clinic" },
    description: "Create a doctor at active clinics of the administrator's (no availability yet; audited per clinic)",
    success: 201,
    response: returns<AdminDoctorView>(),
    request: { body: createDoctorSchema },
  },
  "PUT /api/admin/doctors/{doctorId}": {
    handler: "functions/api/admin/manage-doctors.update",
    table: "write",
    roles: { admin: "clinic" },
    description:
      "Change a doctor's name, skills, languages, clinics or account link; 409 if future bookings would lose their doctor, unless reassign (moved as on deactivation, see outcome; audited per clinic)",
    success: 200,
    response: returns<{ doctor: AdminDoctorView; changed: string[]; outcome: Result<typeof updateDoctor>["outcome"] }>(),
    request: { path: doctorPathSchema, body: updateDoctorSchema },
  },
  "POST /api/admin/doctors/{doctorId}/deactivate": {
    handler: "functions/api/admin/manage-doctors.deactivate",
    table: "write",
    roles: { admin: "clinic" },
    description: "Deactivate a doctor; 409 DOCTOR_HAS_BOOKINGS listing their future appointments while they have any (audited per clinic)",
    success: 200,
    response: returns<{ doctor: AdminDoctorView; changed: boolean; outcome: NonNullable<Result<typeof deactivateDoctor>["outcome"]> | null }>(),
    request: { path: doctorPathSchema, body: deactivateDoctorSchema },
  },
  "POST /api/admin/doctors/{doctorId}/reactivate": {
    handler: "functions/api/admin/manage-doctors.reactivate",
    table: "write",
    roles: { admin: "clinic" },
    description: "Make an inactive doctor bookable again; 409 DOCTOR_HAS_NO_ACTIVE_CLINIC when all their clinics are inactive (an active one: changed false; audited per clinic)",
    success: 200,
    response: returns<{ doctor: AdminDoctorView; changed: boolean }>(),
    request: { path: doctorPathSchema, body: reactivateDoctorSchema },
  },
  "GET /api/admin/types": {
    handler: "functions/api/admin/manage-types.list",
    table: "read",
    roles: { admin: "any" },
    description: "Every appointment type of the region with all its settings, inactive ones included",
    success: 200,
    response: returns<{ types: AdminTypeView[] }>(),
    request: {},
  },
  "POST /api/admin/types": {
    handler: "functions/api/admin/manage-types.create",
    table: "write",
    roles: { admin: "any" },
    description: "Create an appointment type (409 if the id exists; audited)",
    success: 201,
    response: returns<AdminTypeView>(),
    request: { body: createTypeSchema },
  },
  "PUT /api/admin/types/{typeId}": {
    handler: "functions/api/admin/manage-types.update",
    table: "write",
    roles: { admin: "any" },
    description: "Change an appointment type's settings (fields left out stay; the result must pass the type's rules; audited)",
    success: 200,
    response: returns<{ type: AdminTypeView; changed: string[] }>(),
    request: { path: typePathSchema, body: updateTypeSchema },
  },
  "POST /api/admin/types/{typeId}/deactivate": {
    handler: "functions/api/admin/manage-types.deactivate",
    table: "write",
    roles: { admin: "any" },
    description: "Take an appointment type out of the catalog (booked appointments of it stay; audited)",
    success: 200,
    response: returns<{ type: AdminTypeView; changed: boolean }>(),
    request: { path: typePathSchema, body: deactivateTypeSchema },
  },
  "POST /api/admin/types/{typeId}/reactivate": {
    handler: "functions/api/admin/manage-types.reactivate",
    table: "write",
    roles: { admin: "any" },
    description: "Make an inactive appointment type bookable again; 409 TYPE_NOT_OFFERABLE when its settings break the type's rules (an active one: changed false; audited)",
    success: 200,
    response: returns<{ type: AdminTypeView; changed: boolean }>(),
    request: { path: typePathSchema, body: reactivateTypeSchema },
  },
  "GET /api/admin/region": {
    handler: "functions/api/admin/manage-region.get",
    table: "read",
    roles: { admin: "any" },
    description: "The region's settings: default time zone, retention, default reminder times",
    success: 200,
    response: returns<RegionSettingsView>(),
    request: {},
  },
  "PUT /api/admin/region": {
    handler: "functions/api/admin/manage-region.update",
    table: "write",
    roles: { admin: "any" },
    description: "Change the region's settings (fields left out stay; audited with before/after)",
    success: 200,
    response: returns<{ region: RegionSettingsView; changed: string[] }>(),
    request: { body: updateRegionSchema },
  },
  "GET /api/admin/staff": {
    handler: "functions/api/admin/manage-staff.list",
    table: "read",
    roles: { admin: "clinic" },
    description: "The staff of the administrator's clinics: roles, clinics, doctor record, active",
    success: 200,
    response: returns<{ staff: StaffView[] }>(),
    request: {},
  },
  "POST /api/admin/staff": {
    handler: "functions/api/admin/manage-staff.invite",
    table: "write",
    roles: { admin: "clinic" },
    description:
      "Invite a staff member: staff pool account (Cognito e-mails a temporary password), groups = roles, record; audited. 409 STAFF_EXISTS if the e-mail's account has a record; a retry completes a partial one",
    success: 201,
    response: returns<{ staff: StaffView; invited: boolean }>(),
    request: { body: staffRecordSchema },
    managesStaffAccounts: true,
  },
  "PUT /api/admin/staff/{sub}": {
    handler: "functions/api/admin/manage-staff.put",
    table: "write",
    roles: { admin: "clinic" },
    description:
      "Create or replace a staff member's record (staff pool `sub`): roles, clinics, doctor record, active; audited. The account follows: groups = roles, inactive = disabled and signed out",
    success: 200,
    response: returns<{ staff: StaffView; created: boolean; account: boolean }>(),
    request: { path: staffPathSchema, body: staffRecordSchema },
    managesStaffAccounts: true,
  },
} as const satisfies Record<string, RouteDefinition>;
