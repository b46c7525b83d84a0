/**
 * The archive's one entity on the table.
 *
 * Access pattern:
 * - archivedAppointment  byId (appointment)   "where in the archive is this appointment": the key
 *                                             of the JSON Lines object holding it, written by the
 *                                             archival consumer after the object, so an admin
 *                                             finds an archived appointment without listing S3
 *
 * It shares the appointment's partition (`$carebook#appointmentid_<id>`), which the appointment
 * item itself has left by then. No TTL: it lives as long as the archived record does.
 */
const service = "carebook";

export const archivedAppointmentSchema = {
  model: { entity: "archivedAppointment", version: "1", service },
  attributes: {
    appointmentId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    /** The object key: `<regionId>/<clinicId>/<yyyy>/<mm>/<name>.jsonl`. */
    key: { type: "string", required: true },
    /** UTC ISO: when the record was written to the archive. */
    archivedAt: { type: "string", required: true },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["appointmentId"] }, sk: { field: "sk", composite: [] } },
  },
} as const;
