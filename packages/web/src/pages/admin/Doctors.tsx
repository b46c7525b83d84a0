/**
 * Doctors of the administrator's clinics: the list (by clinic; inactive ones marked), add, edit
 * (conditional on `updatedAt`; 409 DOCTOR_HAS_BOOKINGS when leaving a clinic or a skill would
 * strand bookings, then "save and move them"), deactivate — refused with the doctor's future
 * bookings listed, then "deactivate and re-assign" — and reactivate (409 when every clinic of
 * theirs is inactive). Moving bookings sends each to another free doctor who can take it, or
 * asks its patient to pick a time; the outcome lists which.
 */
import { useId, useState } from "react";
import type { BodyOf, ResponseOf } from "../../../../../functions/contract";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { formatDateTime } from "../../lib/time";
import { useSession } from "../../session";
import { CatalogTable, DeactivateCard, EditForm, ReactivateCard, useManagedList, useRequest } from "./catalog";
import {
  BookingList,
  ClinicChoices,
  ClinicOptions,
  FieldError,
  FocusCard,
  bookingsOf,
  fieldProps,
  isConflict,
  savedMessage,
  splitList,
  type AdminClinic,
  type AdminDoctor,
  type FieldIssue,
  useAdminClinics,
} from "./shared";

type Staff = ResponseOf<"GET /api/admin/staff">["staff"][number];

export function Doctors() {
  const { call } = useSession();
  const ids = useId();
  const clinics = useAdminClinics();
  const [clinicId, setClinicId] = useState("");
  const doctors = useLoad((signal) => call("GET /api/admin/doctors", { query: { clinicId: clinicId || undefined }, signal }), [call, clinicId]);
  const staff = useLoad((signal) => call("GET /api/admin/staff", { signal }), [call]);
  const list = doctors.data?.doctors ?? [];
  const panel = useManagedList(list, doctors.reload);
  return (
    <Page
      title="Doctors"
      actions={
        <button type="button" className="primary" onClick={() => panel.open({ kind: "new" })}>
          Add a doctor
        </button>
      }
    >
      <div className="field narrow">
        <label htmlFor={`${ids}-clinic`}>Show doctors of</label>
        <select id={`${ids}-clinic`} value={clinicId} onChange={(e) => setClinicId(e.target.value)}>
          <option value="">All my clinics</option>
          <ClinicOptions clinics={clinics.clinics} />
        </select>
      </div>
      <Notice kind="success">{panel.done}</Notice>
      <ErrorNotice error={doctors.error ?? clinics.error} />
      {doctors.loading && !doctors.data ? <Loading what="doctors" /> : null}
      {doctors.data ? (
        list.length === 0 ? (
          <p className="muted">No doctors here yet.</p>
        ) : (
          <CatalogTable
            items={list}
            caption="Doctors"
            headers={["Doctor", "Clinics", "Skills", "Languages", "Staff account"]}
            rowData="doctor"
            onOpen={panel.open}
            cells={(d) => (
              <>
                <td>{d.clinicIds.map(clinics.clinicName).join(", ")}</td>
                <td>{d.skills.join(", ")}</td>
                <td>{d.languages.join(", ")}</td>
                <td>{d.userSub ? (staff.data?.staff.find((s) => s.sub === d.userSub)?.email ?? "Linked") : <span className="muted">None</span>}</td>
              </>
            )}
          />
        )
      ) : null}

      {panel.adding ? (
        <DoctorForm key="new" clinics={clinics.clinics} staff={staff.data?.staff ?? []} doctors={list} onCancel={() => panel.close()} onSaved={panel.saved} />
      ) : null}
      {panel.editing ? (
        <DoctorForm
          key={panel.editKey}
          doctor={panel.editing}
          clinics={clinics.clinics}
          staff={staff.data?.staff ?? []}
          doctors={list}
          onCancel={() => panel.close()}
          onReload={() => void doctors.reload()}
          onSaved={panel.saved}
        />
      ) : null}
      {panel.deactivating ? (
        <DeactivateDoctor
          key={panel.deactivating.id}
          doctor={panel.deactivating}
          clinicOf={clinics.clinic}
          doctors={list}
          onCancel={() => panel.close()}
          onDone={panel.saved}
        />
      ) : null}
      {panel.reactivating ? (
        <ReactivateDoctor
          key={panel.reactivating.id}
          doctor={panel.reactivating}
          clinicName={clinics.clinicName}
          onCancel={() => panel.close()}
          onDone={panel.saved}
        />
      ) : null}
    </Page>
  );
}

interface Draft {
  doctorId: string;
  name: string;
  clinicIds: string[];
  skills: string;
  languages: string;
  userSub: string;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SKILL = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const LANGUAGE = /^[a-z]{2,3}$/;
const FIELDS = ["doctorId", "name", "clinicIds", "skills", "languages", "userSub"] as const;

function check(d: Draft, isNew: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (isNew && !SLUG.test(d.doctorId.trim())) issues.push({ path: "doctorId", message: "Use lower-case letters, digits and dashes, e.g. amelia-hughes" });
  if (!d.name.trim()) issues.push({ path: "name", message: "Enter the doctor's name" });
  if (d.clinicIds.length === 0) issues.push({ path: "clinicIds", message: "Choose at least one clinic" });
  const skills = splitList(d.skills.toLowerCase());
  if (skills.length === 0) issues.push({ path: "skills", message: "Enter at least one skill, e.g. general-practice" });
  else if (skills.some((s) => !SKILL.test(s))) issues.push({ path: "skills", message: "Skills are lower-case words joined by dashes, e.g. general-practice" });
  const languages = splitList(d.languages.toLowerCase());
  if (languages.length === 0) issues.push({ path: "languages", message: "Enter at least one language, e.g. en" });
  else if (languages.some((l) => !LANGUAGE.test(l))) issues.push({ path: "languages", message: "Use two- or three-letter language codes, e.g. en, de, pl" });
  return issues;
}

function DoctorForm(props: {
  doctor?: AdminDoctor;
  clinics: AdminClinic[];
  staff: Staff[];
  doctors: AdminDoctor[];
  onSaved: (message: string) => void;
  onCancel: () => void;
  onReload?: () => void;
}) {
  const { doctor } = props;
  const { call } = useSession();
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(() => ({
    doctorId: doctor?.id ?? "",
    name: doctor?.name ?? "",
    clinicIds: doctor?.clinicIds ?? [],
    skills: doctor?.skills.join(", ") ?? "",
    languages: doctor?.languages.join(", ") ?? "",
    userSub: doctor?.userSub ?? "",
  }));
  const { busy, error, send } = useRequest();
  /** A save that moved bookings: its outcome, shown until "Done". */
  const [moved, setMoved] = useState<{ message: string; outcome: Outcome }>();
  const set = (field: "doctorId" | "name" | "skills" | "languages" | "userSub") => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [field]: e.target.value });

  // Clinics offered: the administrator's active ones, and any the doctor already works at.
  const mine = new Set(props.clinics.map((c) => c.id));
  const offered = props.clinics.filter((c) => c.active || draft.clinicIds.includes(c.id));
  const elsewhere = (doctor?.clinicIds ?? []).filter((c) => !mine.has(c));
  // Accounts: doctors' staff accounts not linked to another doctor.
  const linkedElsewhere = new Set(props.doctors.filter((d) => d.id !== doctor?.id && d.userSub).map((d) => d.userSub));
  const accounts = props.staff.filter((s) => s.roles.includes("doctor") && !linkedElsewhere.has(s.sub));
  const blocked = isConflict(error, "DOCTOR_HAS_BOOKINGS") ? bookingsOf(error.details) : undefined;

  /** `reassign`: after a 409 DOCTOR_HAS_BOOKINGS, the same change with its bookings moved. */
  const save = (reassign = false) =>
    send(check(draft, !doctor), async (attemptKey) => {
      const fields = {
        name: draft.name.trim(),
        clinicIds: draft.clinicIds,
        skills: splitList(draft.skills.toLowerCase()),
        languages: splitList(draft.languages.toLowerCase()),
      };
      if (doctor) {
        const body: BodyOf<"PUT /api/admin/doctors/{doctorId}"> = {
          ...fields,
          ...(draft.userSub ? { userSub: draft.userSub } : doctor.userSub ? { userSub: null } : {}),
          ...(doctor.updatedAt ? { expectedUpdatedAt: doctor.updatedAt } : {}),
          ...(reassign ? { reassign } : {}),
        };
        const answer = await call("PUT /api/admin/doctors/{doctorId}", { path: { doctorId: doctor.id }, body });
        const message = savedMessage(answer.doctor.name, answer.changed);
        if (answer.outcome && movedAny(answer.outcome)) setMoved({ message, outcome: answer.outcome });
        else props.onSaved(message);
      } else {
        const created = await call("POST /api/admin/doctors", {
          body: { doctorId: draft.doctorId.trim(), ...fields, ...(draft.userSub ? { userSub: draft.userSub } : {}) },
          idempotencyKey: attemptKey,
        });
        props.onSaved(`Added ${created.name}. They offer no times until their working hours are set.`);
      }
    });

  const field = (path: (typeof FIELDS)[number], suffix: string, hint?: boolean) =>
    fieldProps(error, path, `${ids}-${suffix}`, hint ? `${ids}-${suffix}-hint` : undefined);
  const clinicsError = fieldProps(error, "clinicIds", `${ids}-clinics`);
  if (moved) {
    return (
      <FocusCard id={`${ids}-moved`} title={`Saved ${doctor?.name ?? draft.name}`}>
        <MovedAppointments
          outcome={moved.outcome}
          zone={zoneOf(props.clinics, doctor?.clinicIds ?? [])}
          doctorName={(id) => nameOfDoctor(props.doctors, id)}
        />
        <button type="button" onClick={() => props.onSaved(moved.message)}>
          Done
        </button>
      </FocusCard>
    );
  }
  return (
    <EditForm
      ids={ids}
      title={doctor ? `Edit ${doctor.name}` : "Add a doctor"}
      fields={FIELDS}
      error={error}
      busy={busy}
      addLabel={doctor ? undefined : "Add doctor"}
      onSubmit={() => void save()}
      onCancel={props.onCancel}
      onReload={props.onReload}
    >
      <div className="row">
        {doctor ? null : (
          <div className="field">
            <label htmlFor={`${ids}-id`}>Doctor id</label>
            <input {...field("doctorId", "id", true)} required autoComplete="off" value={draft.doctorId} onChange={set("doctorId")} />
            <p className="hint" id={`${ids}-id-hint`}>
              Lower-case letters, digits and dashes; cannot be changed later.
            </p>
            <FieldError error={error} path="doctorId" id={`${ids}-id`} />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${ids}-name`}>Name</label>
          <input {...field("name", "name")} required autoComplete="off" value={draft.name} onChange={set("name")} />
          <FieldError error={error} path="name" id={`${ids}-name`} />
        </div>
      </div>
      <ClinicChoices
        clinics={offered}
        clinicIds={draft.clinicIds}
        onChange={(clinicIds) => setDraft({ ...draft, clinicIds })}
        elsewhere={elsewhere}
        error={error}
        id={`${ids}-clinics`}
        describedBy={clinicsError["aria-describedby"]}
      />
      <div className="row">
        <div className="field grow">
          <label htmlFor={`${ids}-skills`}>Skills</label>
          <input {...field("skills", "skills", true)} required autoComplete="off" value={draft.skills} onChange={set("skills")} />
          <p className="hint" id={`${ids}-skills-hint`}>
            Separated by commas, e.g. general-practice, cardiology. Visit types that require a skill go to doctors who have it.
          </p>
          <FieldError error={error} path="skills" id={`${ids}-skills`} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-languages`}>Languages</label>
          <input {...field("languages", "languages", true)} required autoComplete="off" value={draft.languages} onChange={set("languages")} />
          <p className="hint" id={`${ids}-languages-hint`}>
            Language codes, e.g. en, de
          </p>
          <FieldError error={error} path="languages" id={`${ids}-languages`} />
        </div>
      </div>
      <div className="field narrow">
        <label htmlFor={`${ids}-account`}>Staff account</label>
        <select {...field("userSub", "account", true)} value={draft.userSub} onChange={set("userSub")}>
          <option value="">None (not linked)</option>
          {draft.userSub && !accounts.some((a) => a.sub === draft.userSub) ? <option value={draft.userSub}>{draft.userSub}</option> : null}
          {accounts.map((a) => (
            <option key={a.sub} value={a.sub}>
              {a.name} ({a.email})
            </option>
          ))}
        </select>
        <p className="hint" id={`${ids}-account-hint`}>
          The doctor signs in with this account to see their schedule.
        </p>
        <FieldError error={error} path="userSub" id={`${ids}-account`} />
      </div>
      {blocked ? (
        <div className="notice notice-warning">
          <p>
            <strong>{blocked.count} future appointment(s) would lose their doctor.</strong> Keep the clinics and skills they need, or
            save and move them: each goes to another free doctor of its clinic who can take it; where nobody is free, the patient is
            asked to choose one of the nearest free times.
          </p>
          <BookingList bookings={blocked} clinic={(id) => props.clinics.find((c) => c.id === id)} />
          <p>
            <button type="button" className="danger" disabled={busy} onClick={() => void save(true)}>
              {busy ? "Moving…" : "Save and move them"}
            </button>
          </p>
        </div>
      ) : null}
    </EditForm>
  );
}

type DeactivateAnswer = ResponseOf<"POST /api/admin/doctors/{doctorId}/deactivate">;

function DeactivateDoctor(props: {
  doctor: AdminDoctor;
  doctors: AdminDoctor[];
  clinicOf: (id: string) => AdminClinic | undefined;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const { doctor } = props;
  const { call } = useSession();
  const ids = useId();
  const { busy, error, send } = useRequest();
  const [answer, setAnswer] = useState<DeactivateAnswer>();
  const zone = props.clinicOf(doctor.clinicIds[0] ?? "")?.timeZone ?? "UTC";

  const deactivate = (reassign: boolean) =>
    send([], async () => {
      const result = await call("POST /api/admin/doctors/{doctorId}/deactivate", { path: { doctorId: doctor.id }, body: { reassign } });
      if (result.outcome && movedAny(result.outcome)) setAnswer(result);
      else props.onDone(`${doctor.name} is inactive: no new appointments go to them.`);
    });

  if (answer?.outcome) {
    return (
      <FocusCard id={`${ids}-done`} title={`${doctor.name} is inactive`}>
        <MovedAppointments outcome={answer.outcome} zone={zone} doctorName={(id) => nameOfDoctor(props.doctors, id)} />
        <button type="button" onClick={() => props.onDone(`${doctor.name} is inactive.`)}>
          Done
        </button>
      </FocusCard>
    );
  }

  return (
    <DeactivateCard
      ids={ids}
      name={doctor.name}
      error={error}
      busy={busy}
      blocked={{
        code: "DOCTOR_HAS_BOOKINGS",
        clinicOf: props.clinicOf,
        message: (count) => (
          <>
            <strong>
              {doctor.name} has {count} future appointment(s).
            </strong>{" "}
            Deactivate and re-assign: each goes to another free doctor who can take it; where nobody is free, the patient is asked to choose
            one of the nearest free times.
          </>
        ),
        force: busy ? "Re-assigning…" : "Deactivate and re-assign",
      }}
      keepLabel={`Keep ${doctor.name} active`}
      onDeactivate={(reassign) => void deactivate(reassign)}
      onCancel={props.onCancel}
    >
      <p>No new appointments go to an inactive doctor, and their working hours no longer count as available time.</p>
    </DeactivateCard>
  );
}

type Outcome = NonNullable<ResponseOf<"PUT /api/admin/doctors/{doctorId}">["outcome"]>;

const movedAny = (o: Outcome) => o.reassigned.length > 0 || o.needsReschedule.length > 0;
const nameOfDoctor = (doctors: readonly AdminDoctor[], id: string) => doctors.find((d) => d.id === id)?.name ?? id;
/** The time zone appointments are shown in: the doctor's first clinic's. */
const zoneOf = (clinics: readonly AdminClinic[], clinicIds: readonly string[]) => clinics.find((c) => c.id === clinicIds[0])?.timeZone ?? "UTC";

/** What moving a doctor's bookings did: who took which, which patients were asked to choose. */
function MovedAppointments({ outcome, zone, doctorName }: { outcome: Outcome; zone: string; doctorName: (id: string) => string }) {
  const { reassigned, needsReschedule } = outcome;
  return (
    <>
      <p role="status">
        {reassigned.length} appointment(s) re-assigned to other doctors; {needsReschedule.length} patient(s) asked to choose a new time.
      </p>
      {reassigned.length ? (
        <>
          <h3>Re-assigned</h3>
          <ul className="plain-list">
            {reassigned.map((r) => (
              <li key={r.appointmentId}>
                {formatDateTime(r.start, zone)} → {doctorName(r.toDoctorId)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {needsReschedule.length ? (
        <>
          <h3>Patients asked to choose a new time</h3>
          <ul className="plain-list">
            {needsReschedule.map((r) => (
              <li key={r.appointmentId}>
                {formatDateTime(r.start, zone)} ({r.offers.length} nearest free times offered)
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

/** "Reactivate X?"; a 409 DOCTOR_HAS_NO_ACTIVE_CLINIC names the inactive clinics. */
function ReactivateDoctor(props: {
  doctor: AdminDoctor;
  clinicName: (id: string) => string;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const { doctor } = props;
  const { call } = useSession();
  return (
    <ReactivateCard
      name={doctor.name}
      onCancel={props.onCancel}
      onDone={props.onDone}
      request={async () => {
        await call("POST /api/admin/doctors/{doctorId}/reactivate", { path: { doctorId: doctor.id }, body: {} });
        return `${doctor.name} is active again: their working hours count as available time at their active clinics.`;
      }}
      details={(error) =>
        error.code === "DOCTOR_HAS_NO_ACTIVE_CLINIC" ? (
          <p>Inactive: {doctor.clinicIds.map(props.clinicName).join(", ")}. Reactivate one on the Clinics page, or edit the doctor's clinics.</p>
        ) : null
      }
    >
      <p>Their working hours count as available time again, at those of their clinics that are active. Bookings moved away stay moved.</p>
    </ReactivateCard>
  );
}
