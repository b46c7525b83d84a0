/**
 * What the admin pages share: the administrator's clinics, form errors placed next to their
 * fields (the API's 400 `details` — `{ path, message }` per zod issue — and the same shape for
 * what the form checks itself before sending), the bookings a 409 lists, and small formatters.
 */
import { useEffect, useRef, type ReactNode, type RefObject } from "react";
import { ApiError, type ResponseOf } from "../../api/client";
import { Notice, StatusBadge, errorText, useLoad } from "../../components/ui";
import { formatDateTime } from "../../lib/time";
import { useSession } from "../../session";

export type AdminClinic = ResponseOf<"GET /api/admin/clinics">["clinics"][number];
export type AdminDoctor = ResponseOf<"GET /api/admin/doctors">["doctors"][number];
export type AdminType = ResponseOf<"GET /api/admin/types">["types"][number];

/** The administrator's clinics, inactive ones included (by name). */
export function useAdminClinics() {
  const { call } = useSession();
  const loaded = useLoad((signal) => call("GET /api/admin/clinics", { signal }), [call]);
  const clinics = loaded.data?.clinics ?? [];
  return {
    ...loaded,
    clinics,
    clinic: (id: string) => clinics.find((c) => c.id === id),
    clinicName: (id: string) => clinics.find((c) => c.id === id)?.name ?? id,
  };
}

/** The `<option>`s of a clinic picker, inactive clinics marked. */
export function ClinicOptions({ clinics }: { clinics: readonly AdminClinic[] }) {
  return clinics.map((c) => (
    <option key={c.id} value={c.id}>
      {c.name}
      {c.active ? "" : " (inactive)"}
    </option>
  ));
}

// ---- form errors ----------------------------------------------------------------------------

export interface FieldIssue {
  path: string;
  message: string;
}

/** A 400's issues (`details`), or none. */
export function issuesOf(error: unknown): FieldIssue[] {
  if (!(error instanceof ApiError) || error.status !== 400 || !Array.isArray(error.details)) return [];
  return (error.details as unknown[])
    .filter((d): d is FieldIssue => typeof d === "object" && d !== null && typeof (d as FieldIssue).message === "string")
    .map((d) => ({ path: String(d.path ?? ""), message: d.message }));
}

/** What the form found wrong before sending: shown exactly as the API's own 400 would be. */
export function invalid(issues: FieldIssue[]): ApiError {
  return new ApiError(400, "INVALID_INPUT", "Please correct the marked fields.", issues);
}

const belongsTo = (issue: FieldIssue, path: string, exact = false) =>
  issue.path === path || (!exact && issue.path.startsWith(`${path}.`));

/**
 * The props a field needs to show its error: `aria-invalid`, and `aria-describedby` naming the
 * error message (and the hint, when there is one). Pair with `<FieldError>` of the same id.
 * `exact`: only issues at `path` itself (a list's own, not its items').
 */
export function fieldProps(error: unknown, path: string, id: string, hintId?: string, exact = false) {
  const has = issuesOf(error).some((i) => belongsTo(i, path, exact));
  const describedBy = [hintId, has ? `${id}-error` : undefined].filter(Boolean).join(" ");
  return { id, "aria-invalid": has || undefined, "aria-describedby": describedBy || undefined } as const;
}

/** The messages of the issues at `path` (and below it: `address.city` under `address`, unless `exact`). */
export function FieldError({ error, path, id, exact }: { error: unknown; path: string; id: string; exact?: boolean }) {
  const messages = issuesOf(error).filter((i) => belongsTo(i, path, exact));
  if (messages.length === 0) return null;
  return (
    <p className="field-error" id={`${id}-error`}>
      {messages.map((m) => m.message).join("; ")}
    </p>
  );
}

/**
 * "Works at": a checkbox per clinic of `clinics`, the record's `clinicIds` checked; the clinics
 * the record names that the administrator does not manage (`elsewhere`) said below, and the
 * field's error (`id` as fieldProps made it for "clinicIds").
 */
export function ClinicChoices(props: {
  clinics: readonly AdminClinic[];
  clinicIds: readonly string[];
  onChange: (clinicIds: string[]) => void;
  elsewhere: readonly string[];
  error: unknown;
  id: string;
  describedBy: string | undefined;
  exact?: boolean;
}) {
  const { clinicIds } = props;
  return (
    <fieldset aria-describedby={props.describedBy}>
      <legend>Works at</legend>
      <div className="choices">
        {props.clinics.map((c) => (
          <label key={c.id} className="check">
            <input
              type="checkbox"
              checked={clinicIds.includes(c.id)}
              onChange={(e) => props.onChange(e.target.checked ? [...clinicIds, c.id] : clinicIds.filter((x) => x !== c.id))}
            />{" "}
            {c.name}
            {c.active ? "" : " (inactive)"}
          </label>
        ))}
      </div>
      {props.elsewhere.length ? <p className="hint">Also works at clinics you do not manage: {props.elsewhere.join(", ")}.</p> : null}
      <FieldError error={props.error} path="clinicIds" id={props.id} exact={props.exact} />
    </fieldset>
  );
}

/**
 * The form's error notice: the message, and the issues no field of the form shows (`fields`:
 * the paths that have a `<FieldError>`). After a failed submit, focus goes to the first field
 * marked invalid — else the notice (an alert either way).
 */
export function FormError({ error, fields, formRef }: { error: unknown; fields: readonly string[]; formRef?: RefObject<HTMLFormElement | null> }) {
  const issues = issuesOf(error);
  const placed = issues.filter((i) => fields.some((f) => belongsTo(i, f)));
  const rest = issues.filter((i) => !placed.includes(i));
  useEffect(() => {
    if (!error || !formRef?.current) return;
    formRef.current.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error, formRef]);
  if (!error) return <Notice kind="error" />;
  // A 400 whose issues all show at their fields: say so, rather than "Invalid request body".
  const text = issues.length > 0 && rest.length === 0 ? "Please correct the marked fields." : errorText(error);
  return (
    <Notice kind="error">
      {text}
      <IssueList issues={rest} />
    </Notice>
  );
}

/** Issues no field shows, as a list: `path: message` each. */
export function IssueList({ issues }: { issues: readonly FieldIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <ul>
      {issues.map((i) => (
        <li key={`${i.path}:${i.message}`}>
          {i.path ? <code>{i.path}</code> : null}
          {i.path ? ": " : null}
          {i.message}
        </li>
      ))}
    </ul>
  );
}

/**
 * A search form above a list (the audit log's filters, the dashboard's range): a card labelled by
 * its heading, no browser validation (the form's own checks show at the fields), the error notice
 * at the end.
 */
export function FilterForm(props: {
  headingId: string;
  heading: ReactNode;
  headingClassName?: string;
  error: unknown;
  fields: readonly string[];
  onSubmit: () => void;
  children: ReactNode;
}) {
  const form = useRef<HTMLFormElement>(null);
  return (
    <form
      ref={form}
      className="stack card"
      noValidate
      aria-labelledby={props.headingId}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <h2 id={props.headingId} className={props.headingClassName}>
        {props.heading}
      </h2>
      {props.children}
      <FormError error={props.error} fields={props.fields} formRef={form} />
    </form>
  );
}

/** True for a 409 of this code. */
export function isConflict(error: unknown, code: string): error is ApiError {
  return error instanceof ApiError && error.status === 409 && error.code === code;
}

// ---- bookings listed by a 409 or a deactivation ---------------------------------------------

export interface ListedBooking {
  id: string;
  start: string;
  clinicId: string;
  status: string;
}

/** `{ count, appointments }` of a CLINIC_HAS_BOOKINGS / DOCTOR_HAS_BOOKINGS answer. */
export function bookingsOf(details: unknown): { count: number; appointments: ListedBooking[] } {
  const d = (details ?? {}) as { count?: unknown; appointments?: unknown };
  const appointments = Array.isArray(d.appointments) ? (d.appointments as ListedBooking[]) : [];
  return { count: typeof d.count === "number" ? d.count : appointments.length, appointments };
}

export function BookingList({
  bookings,
  clinic,
}: {
  bookings: { count: number; appointments: ListedBooking[] };
  clinic: (id: string) => AdminClinic | undefined;
}) {
  return (
    <>
      <ul className="plain-list">
        {bookings.appointments.map((b) => {
          const c = clinic(b.clinicId);
          return (
            <li key={b.id}>
              {formatDateTime(b.start, c?.timeZone ?? "UTC")} ({c?.timeZone ?? "UTC"}) · {c?.name ?? b.clinicId} · <StatusBadge status={b.status} />{" "}
              <span className="muted">
                <code>{shortId(b.id)}</code>
              </span>
            </li>
          );
        })}
      </ul>
      {bookings.count > bookings.appointments.length ? (
        <p className="muted">…and {bookings.count - bookings.appointments.length} more.</p>
      ) : null}
    </>
  );
}

// ---- small things ---------------------------------------------------------------------------

const fieldNames: Record<string, string> = {
  timeZone: "time zone",
  clinicIds: "clinics",
  userSub: "staff account",
  durationMinutes: "duration",
  bufferBeforeMinutes: "buffer before",
  bufferAfterMinutes: "buffer after",
  minimumNoticeMinutes: "minimum notice",
  bookingHorizonDays: "booking horizon",
  requiresPrescreening: "pre-screening",
  prescreening: "questionnaire",
  reminderOffsetsMinutes: "reminders",
  requiredSkill: "required skill",
};

/** "Saved X: name, time zone changed." from an update's `changed` fields. */
export function savedMessage(name: string, changed: readonly string[]): string {
  return changed.length ? `Saved ${name}: ${changed.map((f) => fieldNames[f] ?? f).join(", ")} changed.` : `Nothing to change in ${name}.`;
}

/** The first 8 characters of a long id (UUIDs), the whole of a short one. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function ActiveBadge({ active }: { active: boolean }) {
  return <span className={active ? "badge badge-active" : "badge badge-inactive"}>{active ? "Active" : "Inactive"}</span>;
}

/** "2 h 30 min", "3 days", "45 min". */
export function formatMinutes(minutes: number): string {
  if (minutes === 0) return "0 min";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days ? `${days} ${days === 1 ? "day" : "days"}` : "", hours ? `${hours} h` : "", mins ? `${mins} min` : ""];
  return parts.filter(Boolean).join(" ");
}

/** A list typed as "a, b, c" (commas or spaces), trimmed, empty entries dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A card that takes focus when it opens (its heading), so keyboard users land in it. */
export function FocusCard({ title, children, id }: { title: string; children: ReactNode; id: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [id]);
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </section>
  );
}
