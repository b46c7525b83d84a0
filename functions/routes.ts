/**
 * The route table: the one list of HTTP routes.
 *
 * The Api stack deploys each entry as an API Gateway route backed by its own Lambda, with
 * IAM limited to `table` access; the local runtime serves the same entries by importing
 * the named handler module. Pure data — no handler code is imported here.
 */
import type { z } from "zod";
import type { WorkflowName } from "./workflows/index";
import {
  appointmentIdPathSchema,
  cancelSchema,
  createAppointmentSchema,
  emergencyNoticeSchema,
  listAppointmentsQuerySchema,
  prescreeningAnswersSchema,
  prescreeningDecisionSchema,
  prescreeningQueueQuerySchema,
  rescheduleSchema,
  slotsQuerySchema,
  staffAppointmentPathSchema,
} from "@carebook/core/api";
import { auditQuerySchema } from "@carebook/core/audit/query";
import { metricsQuerySchema } from "@carebook/core/metrics/api";
import { notificationPreferencesSchema } from "@carebook/core/notifications/preferences";
import { profileSchema } from "@carebook/core/patient";
import { patientSearchQuerySchema, supportAppointmentsQuerySchema, supportPatientPathSchema } from "@carebook/core/support";
import { staffAppointmentsQuerySchema, staffScheduleQuerySchema } from "@carebook/core/staff/appointments";
import { visitSchema } from "@carebook/core/staff/visits";
import { availabilityChangeSchema, availabilityQuerySchema } from "@carebook/core/staff/availability";
import { leaveDecisionSchema, leaveListQuerySchema, leavePathSchema, leaveRequestSchema } from "@carebook/core/staff/leave";
import type {
  AppointmentTypeView,
  AppointmentView,
  ClinicView,
  PrescreeningView,
  ScreeningView,
  SlotSearchView,
  StaffPrescreeningView,
} from "@carebook/core/api";
import type { AuditPage } from "@carebook/core/audit/query";
import type { MetricsReport } from "@carebook/core/metrics/query";
import type { getPreferences, setPreferences } from "@carebook/core/notifications/messages";
import type { sendEmergencyNotice } from "@carebook/core/notifications/emergency";
import type { MeView, patientMeView } from "@carebook/core/patient";
import type { findPatients, patientAppointmentsForSupport } from "@carebook/core/support";
import type { doctorSchedule, listStaffAppointments, StaffAppointmentView } from "@carebook/core/staff/appointments";
import type { availabilityView, changeAvailability } from "@carebook/core/staff/availability";
import type { LeaveView, listLeave } from "@carebook/core/staff/leave";
import { returns, type Result, type Returns } from "./contract";
import { adminRoutes } from "./routes-admin";

export type Role = "patient" | "doctor" | "nurse" | "admin" | "support";
export const allRoles: readonly Role[] = ["patient", "doctor", "nurse", "admin", "support"];

/**
 * Which of a route's resources a role may reach (the ownership rule of the authorization
 * matrix; functions/lib/access.ts enforces it):
 * - `any`:    every resource of the region (catalog reads; support helping any patient);
 * - `own`:    the caller's own: a patient's appointments and profile, a doctor's appointments
 *             and schedule, a staff member's own leave;
 * - `clinic`: resources of the clinics the caller's staff record lists.
 * A resource outside the rule answers 404 when it is named by id (it does not exist for you)
 * and 403 when the caller named a clinic that is not theirs.
 */
export type Scope = "any" | "own" | "clinic";
export type RouteAccess = { readonly [R in Role]?: Scope };

/** What a function may do on the one table (mapped to IAM actions by the Api stack). */
export type TableAccess = "none" | "read" | "write";

export interface RouteDefinition {
  /** `path/to/module.exportName`, relative to the project root, as SST expects. */
  handler: string;
  table: TableAccess;
  /** The authorization matrix row: each role allowed to call the route and the scope it has;
   * roles not listed get 403. `"public"` skips authentication (health, the API document). */
  roles: RouteAccess | "public";
  description: string;
  /** zod schemas of the request's parts; the shared middleware validates them (400 if not). */
  request?: { body?: z.ZodType; query?: z.ZodType; path?: z.ZodType };
  /** Status of a successful answer. */
  success: 200 | 201 | 202;
  /** The success body's type (`returns<T>()`, ./contract.ts): the handler must answer it, and
   * the web app's typed client reads it. Routes without one answer `unknown` to clients. */
  response?: Returns<unknown>;
  /** Workflows the handler starts (IAM: states:StartExecution on exactly those state machines). */
  starts?: readonly WorkflowName[];
  /** The handler reads archived appointments (IAM: s3:GetObject on the archive bucket's objects,
   * and the bucket's name in CAREBOOK_ARCHIVE_BUCKET). */
  readsArchive?: boolean;
  /** The handler resumes waiting executions (IAM: states:SendTaskSuccess / SendTaskFailure). */
  sendsTaskTokens?: boolean;
  /** The handler serves the stage's Web Push public key (it may read that key's SSM parameter). */
  readsWebPushKey?: boolean;
  /** The handler manages staff pool accounts (functions/lib/staff-accounts.ts): the staff pool's
   * id in its environment, IAM for exactly those cognito-idp actions on exactly that pool. */
  managesStaffAccounts?: boolean;
}

export const routes = {
  "GET /health": {
    handler: "functions/api/health.handler",
    table: "none",
    roles: "public",
    description: "Liveness check",
    success: 200,
  },
  "GET /api/openapi.json": {
    handler: "functions/api/openapi.handler",
    table: "none",
    roles: "public",
    description: "This API's OpenAPI 3.1 document, generated from the route table",
    success: 200,
  },
  "GET /api/clinics": {
    handler: "functions/api/clinics/list.handler",
    table: "read",
    roles: { patient: "any", doctor: "any", nurse: "any", admin: "any", support: "any" },
    description: "Clinics of this region",
    success: 200,
    response: returns<{ clinics: ClinicView[] }>(),
  },
  "GET /api/appointments/types": {
    handler: "functions/api/appointments/types.handler",
    table: "read",
    roles: { patient: "any", doctor: "any", nurse: "any", admin: "any", support: "any" },
    description: "Bookable appointment types",
    success: 200,
    response: returns<{ types: AppointmentTypeView[] }>(),
  },
  "GET /api/appointments/available-slots": {
    handler: "functions/api/appointments/slots.handler",
    table: "read",
    roles: { patient: "any", doctor: "any", nurse: "any", admin: "any", support: "any" },
    description: "Free slots of a type at a clinic between two dates",
    success: 200,
    response: returns<SlotSearchView>(),
    request: { query: slotsQuerySchema },
  },
  "POST /api/appointments": {
    handler: "functions/api/appointments/create.handler",
    table: "write",
    roles: { patient: "own" },
    description: "Book an appointment; the system assigns the doctor (a type with pre-screening is held as pending)",
    success: 201,
    response: returns<AppointmentView>(),
    request: { body: createAppointmentSchema },
    starts: ["prescreening", "reminders"],
  },
  "GET /api/appointments": {
    handler: "functions/api/appointments/list.handler",
    table: "read",
    roles: { patient: "own" },
    description: "The caller's own appointments",
    success: 200,
    response: returns<{ appointments: AppointmentView[]; nextCursor: string | null }>(),
    request: { query: listAppointmentsQuerySchema },
  },
  "GET /api/appointments/{id}": {
    handler: "functions/api/appointments/get.handler",
    // Writes the audit entry of a support read.
    table: "write",
    roles: { patient: "own", support: "any" },
    description: "One of the caller's appointments (support: any patient's, audited)",
    success: 200,
    response: returns<AppointmentView>(),
    request: { path: appointmentIdPathSchema },
  },
  "POST /api/appointments/{id}/reschedule": {
    handler: "functions/api/appointments/reschedule.handler",
    table: "write",
    roles: { patient: "own" },
    description: "Move an appointment to another start (atomically)",
    success: 200,
    response: returns<AppointmentView>(),
    request: { path: appointmentIdPathSchema, body: rescheduleSchema },
    starts: ["reminders"],
  },
  "POST /api/appointments/{id}/cancel": {
    handler: "functions/api/appointments/cancel.handler",
    table: "write",
    roles: { patient: "own", support: "any" },
    description: "Cancel an appointment and free its time (support: on the patient's behalf, with a reason)",
    success: 200,
    response: returns<AppointmentView>(),
    request: { path: appointmentIdPathSchema, body: cancelSchema },
    sendsTaskTokens: true,
  },
  "GET /api/appointments/{id}/prescreening": {
    handler: "functions/api/prescreening/get.handler",
    table: "read",
    roles: { patient: "own" },
    description: "The questionnaire of a held appointment and where its pre-screening stands",
    success: 200,
    response: returns<PrescreeningView>(),
    request: { path: appointmentIdPathSchema },
  },
  "POST /api/appointments/{id}/prescreening": {
    handler: "functions/api/prescreening/answer.handler",
    table: "write",
    roles: { patient: "own" },
    description: "Answer the pre-screening questionnaire (validated against the type's questionnaire)",
    success: 200,
    response: returns<PrescreeningView>(),
    request: { path: appointmentIdPathSchema, body: prescreeningAnswersSchema },
    sendsTaskTokens: true,
  },
  "GET /api/staff/prescreening": {
    handler: "functions/api/staff/prescreening-queue.handler",
    // Writes: the read of the queue (patients' names) is audited.
    table: "write",
    roles: { nurse: "clinic", admin: "clinic" },
    description: "A clinic's pre-screening queue: answered, waiting for a decision, oldest first",
    success: 200,
    response: returns<{ items: ScreeningView[]; cursor?: string }>(),
    request: { query: prescreeningQueueQuerySchema },
  },
  "GET /api/staff/prescreening/{appointmentId}": {
    handler: "functions/api/staff/prescreening-get.handler",
    // Writes the audit entry of the read.
    table: "write",
    roles: { nurse: "clinic", admin: "clinic" },
    description: "One pre-screening with the patient's answers",
    success: 200,
    response: returns<StaffPrescreeningView>(),
    request: { path: staffAppointmentPathSchema },
  },
  "POST /api/staff/prescreening/{appointmentId}/decision": {
    handler: "functions/api/staff/prescreening-decision.handler",
    table: "write",
    roles: { nurse: "clinic", admin: "clinic" },
    description: "Approve, reject, or call the patient first (extends the wait once)",
    success: 200,
    response: returns<StaffPrescreeningView>(),
    request: { path: staffAppointmentPathSchema, body: prescreeningDecisionSchema },
    sendsTaskTokens: true,
  },
  "GET /api/staff/appointments": {
    handler: "functions/api/staff/appointments.handler",
    table: "read",
    roles: { doctor: "own", nurse: "clinic", admin: "clinic" },
    description: "Appointments on local dates (at most a week): a doctor's own, a nurse's or admin's clinics'; by status, clinic, doctor",
    success: 200,
    response: returns<Result<typeof listStaffAppointments>>(),
    request: { query: staffAppointmentsQuerySchema },
  },
  "GET /api/staff/schedule": {
    handler: "functions/api/staff/schedule.handler",
    table: "read",
    roles: { doctor: "own", nurse: "clinic", admin: "clinic" },
    description: "A doctor's day or week: working hours and appointments (doctors: their own; nurses, admins: `doctorId` of their clinics)",
    success: 200,
    response: returns<Result<typeof doctorSchedule>>(),
    request: { query: staffScheduleQuerySchema },
  },
  "POST /api/staff/appointments/{appointmentId}/check-in": {
    handler: "functions/api/staff/visit.checkIn",
    table: "write",
    roles: { doctor: "own", nurse: "clinic", admin: "clinic" },
    description: "The patient arrived (booked → arrived; from two hours before the start), on the appointment's version",
    success: 200,
    response: returns<StaffAppointmentView>(),
    request: { path: staffAppointmentPathSchema, body: visitSchema },
  },
  "POST /api/staff/appointments/{appointmentId}/complete": {
    handler: "functions/api/staff/visit.complete",
    table: "write",
    roles: { doctor: "own", admin: "clinic" },
    description: "The patient was seen (booked or arrived → fulfilled, once started), with an optional reference to the clinical notes",
    success: 200,
    response: returns<StaffAppointmentView>(),
    request: { path: staffAppointmentPathSchema, body: visitSchema },
  },
  "POST /api/staff/appointments/{appointmentId}/no-show": {
    handler: "functions/api/staff/visit.noShow",
    table: "write",
    roles: { doctor: "own", nurse: "clinic", admin: "clinic" },
    description: "The patient did not come (booked → noshow, once started)",
    success: 200,
    response: returns<StaffAppointmentView>(),
    request: { path: staffAppointmentPathSchema, body: visitSchema },
  },
  "GET /api/staff/availability": {
    handler: "functions/api/staff/availability-get.handler",
    table: "read",
    roles: { doctor: "own", nurse: "clinic", admin: "clinic" },
    description: "A doctor's working hours: weekly template, date overrides, approved leave, and the version to send back with a change",
    success: 200,
    response: returns<ReturnType<typeof availabilityView>>(),
    request: { query: availabilityQuerySchema },
  },
  "POST /api/staff/availability": {
    handler: "functions/api/staff/availability-set.handler",
    table: "write",
    roles: { doctor: "own", admin: "clinic" },
    description: "Change a doctor's hours: replace the weekly template, set or remove date overrides; 409 listing the booked appointments it would strand, unless `reassign: true` moves them to other doctors",
    success: 200,
    response: returns<Result<typeof changeAvailability>>(),
    request: { body: availabilityChangeSchema },
  },
  "POST /api/staff/leave": {
    handler: "functions/api/staff/leave-request.handler",
    table: "write",
    roles: { doctor: "own", nurse: "own" },
    description: "Ask for leave: whole local days (dates) or exact times; an admin of your clinics decides",
    success: 201,
    response: returns<LeaveView>(),
    request: { body: leaveRequestSchema },
  },
  "GET /api/staff/leave": {
    handler: "functions/api/staff/leave-list.handler",
    table: "read",
    roles: { doctor: "own", nurse: "own", admin: "clinic" },
    description: "Leave from a date on (default today): your own, or (admins) your clinics' staff's; by status, by start, cursor-paginated",
    success: 200,
    response: returns<Result<typeof listLeave>>(),
    request: { query: leaveListQuerySchema },
  },
  "POST /api/admin/leave/{leaveId}/decision": {
    handler: "functions/api/admin/leave-decision.handler",
    table: "write",
    roles: { admin: "clinic" },
    description: "Approve or reject leave; approving a doctor's moves each appointment in it to another free qualified doctor, or asks the patient to pick one of the nearest free times",
    success: 200,
    response: returns<LeaveView>(),
    request: { path: leavePathSchema, body: leaveDecisionSchema },
  },
  "GET /api/support/patients": {
    handler: "functions/api/support/patients.search",
    // Writes the audit entry of the search.
    table: "write",
    roles: { support: "any" },
    description: "Find the patient who calls by e-mail (audited)",
    success: 200,
    response: returns<{ patients: Result<typeof findPatients> }>(),
    request: { query: patientSearchQuerySchema },
  },
  "GET /api/support/patients/{patientId}/appointments": {
    handler: "functions/api/support/patients.appointments",
    table: "write",
    roles: { support: "any" },
    description: "A patient's appointments as the patient sees them, without pre-screening (audited); cancel on their behalf with POST /api/appointments/{id}/cancel and a reason",
    success: 200,
    response: returns<Result<typeof patientAppointmentsForSupport>>(),
    request: { path: supportPatientPathSchema, query: supportAppointmentsQuerySchema },
  },
  "GET /api/me": {
    handler: "functions/api/me/profile-get.handler",
    // A patient's first call creates the profile.
    table: "write",
    roles: { patient: "own", doctor: "own", nurse: "own", admin: "own", support: "own" },
    description: "Who the caller is: a patient's profile (name, contact, language, insurance and medical-record references), or a staff member's roles and clinics",
    success: 200,
    response: returns<MeView>(),
    request: {},
  },
  "PUT /api/me": {
    handler: "functions/api/me/profile-put.handler",
    table: "write",
    roles: { patient: "own" },
    description: "Replace the caller's profile: name, phone, preferred language, insurance and medical-record references (references only, no medical content)",
    success: 200,
    response: returns<ReturnType<typeof patientMeView>>(),
    request: { body: profileSchema },
  },
  "GET /api/me/notification-preferences": {
    handler: "functions/api/me/preferences-get.handler",
    table: "read",
    roles: { patient: "own" },
    description: "The caller's notification preferences (channels in order, language, quiet hours, time zone), or the defaults",
    success: 200,
    response: returns<Result<typeof getPreferences>>(),
    request: {},
  },
  "PUT /api/me/notification-preferences": {
    handler: "functions/api/me/preferences-put.handler",
    table: "write",
    roles: { patient: "own" },
    description: "Replace the caller's notification preferences",
    success: 200,
    response: returns<Result<typeof setPreferences>>(),
    request: { body: notificationPreferencesSchema },
  },
  "GET /api/me/notifications": {
    handler: "functions/api/me/notifications.handler",
    table: "read",
    roles: { patient: "own" },
    description: "The caller's messages and their delivery log (queued, sent, delivered, failed…), newest first",
    success: 200,
    request: {},
  },
  "GET /api/me/push-key": {
    handler: "functions/api/me/push-key.handler",
    table: "none",
    roles: { patient: "own" },
    description: "The VAPID public key a browser subscribes to Web Push with (null when the stage has no Web Push keys)",
    success: 200,
    readsWebPushKey: true,
    response: returns<{ publicKey: string | null }>(),
  },
  "POST /api/admin/notifications/emergency": {
    handler: "functions/api/admin/emergency.handler",
    table: "write",
    roles: { admin: "clinic" },
    description: "Tell every patient booked at a clinic on a day something urgent, on every channel they allow, quiet hours or not (audited per appointment)",
    success: 202,
    response: returns<Result<typeof sendEmergencyNotice>>(),
    request: { body: emergencyNoticeSchema },
  },
  "GET /api/admin/appointments/audit": {
    handler: "functions/api/admin/audit.handler",
    table: "read",
    roles: { admin: "clinic" },
    description: "The audit trail by appointment, actor or clinic (`region`: the region-wide catalog changes), newest first, cursor-paged, with each entry's place in its hash chain and the page's actors' names",
    success: 200,
    response: returns<AuditPage>(),
    request: { query: auditQuerySchema },
  },
  "GET /api/admin/appointments/archive/{appointmentId}": {
    handler: "functions/api/admin/archive-get.handler",
    // Reads the pointer; writes the audit entry of the read.
    table: "write",
    roles: { admin: "clinic" },
    description: "An archived appointment by id, as it was stored when it left the table (404 if not archived); the read is audited",
    success: 200,
    request: { path: staffAppointmentPathSchema },
    readsArchive: true,
  },
  "GET /api/admin/appointments/metrics": {
    handler: "functions/api/admin/metrics.handler",
    table: "read",
    roles: { admin: "clinic" },
    description: "Bookings, cancellations, no-shows, utilisation, lead time, pre-screening SLA and notification outcomes of a clinic (or the region) between two dates, per day and in total",
    success: 200,
    response: returns<MetricsReport>(),
    request: { query: metricsQuerySchema },
  },
  ...adminRoutes,
} as const satisfies Record<string, RouteDefinition>;

export type RouteKey = keyof typeof routes;

/** The roles a route admits ([] for a public route). */
export function rolesOf(route: Pick<RouteDefinition, "roles">): Role[] {
  return route.roles === "public" ? [] : (Object.keys(route.roles) as Role[]);
}

export function routeEntries(): Array<[RouteKey, RouteDefinition]> {
  return Object.entries(routes) as Array<[RouteKey, RouteDefinition]>;
}

/** Splits `"GET /api/x/{id}"` into its method and path. */
export function parseRouteKey(routeKey: string): { method: string; path: string } {
  const space = routeKey.indexOf(" ");
  return { method: routeKey.slice(0, space), path: routeKey.slice(space + 1) };
}
