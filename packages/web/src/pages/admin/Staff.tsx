/**
 * Staff of the administrator's clinics: the list (inactive ones marked), invite (a staff account
 * is created and e-mailed a temporary password; 409 STAFF_EXISTS when the e-mail's account
 * already has a record), edit roles, clinics and doctor record (the account's groups follow), and
 * deactivate (the account is disabled and signed out) or reactivate. Every change is the whole
 * record (`PUT /api/admin/staff/{sub}`), as the API takes it.
 */
import { useId, useState } from "react";
import type { BodyOf, ResponseOf } from "../../../../../functions/contract";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { useSession } from "../../session";
import { CatalogTable, DeactivateCard, EditForm, ReactivateCard, useManagedList, useRequest } from "./catalog";
import { ClinicChoices, FieldError, fieldProps, type AdminClinic, type AdminDoctor, type FieldIssue, useAdminClinics } from "./shared";

type StaffView = ResponseOf<"GET /api/admin/staff">["staff"][number];
/** A staff member as the managed list keys entries. */
type Member = StaffView & { id: string };
type StaffRecord = BodyOf<"POST /api/admin/staff">;
type Role = StaffRecord["roles"][number];

const ROLES: ReadonlyArray<{ role: Role; label: string; hint: string }> = [
  { role: "doctor", label: "Doctor", hint: "sees patients; link their doctor record" },
  { role: "nurse", label: "Nurse", hint: "pre-screening, check-in" },
  { role: "admin", label: "Administrator", hint: "clinics, doctors, staff" },
  { role: "support", label: "Support", hint: "helps patients of every clinic" },
];
const isRole = (r: string): r is Role => ROLES.some((x) => x.role === r);
const FIELDS = ["name", "email", "roles", "clinicIds", "doctorId"] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The record of a staff member, as PUT takes it (`active` changed or not). */
/** The record as shown, for a change of it: `expectedUpdatedAt` makes the API refuse it (409) if
 * someone changed the record since this page loaded it. */
function recordOf(m: StaffView, active = m.active): StaffRecord {
  return {
    name: m.name,
    email: m.email,
    roles: m.roles.filter(isRole),
    clinicIds: m.clinicIds,
    ...(m.doctorId ? { doctorId: m.doctorId } : {}),
    active,
    ...(m.updatedAt ? { expectedUpdatedAt: m.updatedAt } : {}),
  };
}

export function Staff() {
  const { call } = useSession();
  const clinics = useAdminClinics();
  const staff = useLoad((signal) => call("GET /api/admin/staff", { signal }), [call]);
  const doctors = useLoad((signal) => call("GET /api/admin/doctors", { query: {}, signal }), [call]);
  const list: Member[] = (staff.data?.staff ?? []).map((m) => ({ ...m, id: m.sub }));
  const panel = useManagedList(list, staff.reload);
  const roleLabel = (r: string) => ROLES.find((x) => x.role === r)?.label ?? r;
  const form = (member?: Member) => (
    <StaffForm
      key={member ? panel.editKey : "new"}
      member={member}
      clinics={clinics.clinics}
      doctors={doctors.data?.doctors ?? []}
      onCancel={() => panel.close()}
      onSaved={panel.saved}
    />
  );
  return (
    <Page
      title="Staff"
      actions={
        <button type="button" className="primary" onClick={() => panel.open({ kind: "new" })}>
          Invite a staff member
        </button>
      }
    >
      <Notice kind="success">{panel.done}</Notice>
      <ErrorNotice error={staff.error ?? clinics.error} />
      {staff.loading && !staff.data ? <Loading what="staff" /> : null}
      {staff.data ? (
        list.length === 0 ? (
          <p className="muted">No staff at your clinics yet. Invite someone.</p>
        ) : (
          <CatalogTable
            items={list}
            caption="Staff of your clinics"
            headers={["Staff member", "E-mail", "Roles", "Clinics"]}
            rowData="staff"
            onOpen={panel.open}
            cells={(m) => (
              <>
                <td>{m.email}</td>
                <td>{m.roles.map(roleLabel).join(", ")}</td>
                <td>{m.clinicIds.length ? m.clinicIds.map(clinics.clinicName).join(", ") : <span className="muted">All (support)</span>}</td>
              </>
            )}
          />
        )
      ) : null}

      {panel.adding ? form() : null}
      {panel.editing ? form(panel.editing) : null}
      {panel.deactivating ? <SetActive key={panel.deactivating.id} member={panel.deactivating} active={false} onCancel={() => panel.close()} onDone={panel.saved} /> : null}
      {panel.reactivating ? <SetActive key={panel.reactivating.id} member={panel.reactivating} active onCancel={() => panel.close()} onDone={panel.saved} /> : null}
    </Page>
  );
}

interface Draft {
  name: string;
  email: string;
  roles: Role[];
  clinicIds: string[];
  doctorId: string;
}

function check(d: Draft): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!d.name.trim()) issues.push({ path: "name", message: "Enter the staff member's name" });
  if (!EMAIL.test(d.email.trim())) issues.push({ path: "email", message: "Enter an e-mail address, e.g. name@clinic.example" });
  if (d.roles.length === 0) issues.push({ path: "roles", message: "Choose one role at least" });
  const supportOnly = d.roles.length === 1 && d.roles[0] === "support";
  if (d.clinicIds.length === 0 && !supportOnly) issues.push({ path: "clinicIds", message: "Doctors, nurses and administrators work at one clinic at least" });
  return issues;
}

function toggle<T>(list: readonly T[], value: T, on: boolean): T[] {
  return on ? [...list.filter((x) => x !== value), value] : list.filter((x) => x !== value);
}

function StaffForm(props: {
  member?: Member;
  clinics: readonly AdminClinic[];
  doctors: readonly AdminDoctor[];
  onSaved: (message: string) => void;
  onCancel: () => void;
}) {
  const { member } = props;
  const { call } = useSession();
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(() => ({
    name: member?.name ?? "",
    email: member?.email ?? "",
    roles: member ? member.roles.filter(isRole) : [],
    clinicIds: member ? [...member.clinicIds] : [],
    doctorId: member?.doctorId ?? "",
  }));
  const { busy, error, send } = useRequest();
  const isDoctor = draft.roles.includes("doctor");
  // Doctor records not linked to another account.
  const linkable = props.doctors.filter((d) => !d.userSub || d.userSub === member?.sub);
  // Clinics of the record the admin does not manage stay as they are (the API refuses changing them anyway).
  const elsewhere = (member?.clinicIds ?? []).filter((id) => !props.clinics.some((c) => c.id === id));

  const save = () =>
    send(check(draft), async (attemptKey) => {
      const body: StaffRecord = {
        name: draft.name.trim(),
        email: draft.email.trim(),
        roles: draft.roles,
        clinicIds: draft.clinicIds,
        ...(isDoctor && draft.doctorId ? { doctorId: draft.doctorId } : {}),
        active: member?.active ?? true,
        ...(member?.updatedAt ? { expectedUpdatedAt: member.updatedAt } : {}),
      };
      if (member) {
        const answer = await call("PUT /api/admin/staff/{sub}", { path: { sub: member.sub }, body, idempotencyKey: attemptKey });
        props.onSaved(`Saved ${answer.staff.name}.${answer.account ? " Their account's roles follow at their next sign-in." : ""}`);
      } else {
        const answer = await call("POST /api/admin/staff", { body, idempotencyKey: attemptKey });
        props.onSaved(
          answer.invited
            ? `Invited ${answer.staff.name}: an e-mail with a temporary password is on its way to ${answer.staff.email}.`
            : `${answer.staff.name} already had an account; it is now set up with these roles and clinics.`,
        );
      }
    });

  const field = (path: (typeof FIELDS)[number], suffix: string, hint = false) => fieldProps(error, path, `${ids}-${suffix}`, hint ? `${ids}-${suffix}-hint` : undefined);
  const rolesError = fieldProps(error, "roles", `${ids}-roles`, undefined, true);
  const clinicsError = fieldProps(error, "clinicIds", `${ids}-clinics`, undefined, true);
  return (
    <EditForm
      ids={ids}
      title={member ? `Edit ${member.name}` : "Invite a staff member"}
      fields={FIELDS}
      error={error}
      busy={busy}
      addLabel={member ? undefined : "Send invitation"}
      onSubmit={() => void save()}
      onCancel={props.onCancel}
    >
      <div className="row">
        <div className="field">
          <label htmlFor={`${ids}-name`}>Name</label>
          <input {...field("name", "name")} required autoComplete="off" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          <FieldError error={error} path="name" id={`${ids}-name`} />
        </div>
        <div className="field grow">
          <label htmlFor={`${ids}-email`}>E-mail</label>
          <input
            {...field("email", "email", true)}
            type="email"
            required
            autoComplete="off"
            readOnly={Boolean(member)}
            value={draft.email}
            onChange={(e) => setDraft({ ...draft, email: e.target.value })}
          />
          <p className="hint" id={`${ids}-email-hint`}>
            {member ? "The account's sign-in; it cannot be changed here." : "They sign in with it; the invitation goes there."}
          </p>
          <FieldError error={error} path="email" id={`${ids}-email`} />
        </div>
      </div>
      <fieldset aria-describedby={rolesError["aria-describedby"]}>
        <legend>Roles</legend>
        <div className="choices">
          {ROLES.map(({ role, label, hint }) => (
            <label key={role} className="check">
              <input type="checkbox" checked={draft.roles.includes(role)} onChange={(e) => setDraft({ ...draft, roles: toggle(draft.roles, role, e.target.checked) })} />{" "}
              {label} <span className="muted small">({hint})</span>
            </label>
          ))}
        </div>
        <FieldError error={error} path="roles" id={`${ids}-roles`} exact />
      </fieldset>
      <ClinicChoices
        clinics={props.clinics}
        clinicIds={draft.clinicIds}
        onChange={(clinicIds) => setDraft({ ...draft, clinicIds })}
        elsewhere={elsewhere}
        error={error}
        id={`${ids}-clinics`}
        describedBy={clinicsError["aria-describedby"]}
        exact
      />
      {isDoctor ? (
        <div className="field narrow">
          <label htmlFor={`${ids}-doctor`}>
            Doctor record <span className="required">(optional)</span>
          </label>
          <select {...field("doctorId", "doctor", true)} value={draft.doctorId} onChange={(e) => setDraft({ ...draft, doctorId: e.target.value })}>
            <option value="">None yet</option>
            {linkable.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          <p className="hint" id={`${ids}-doctor-hint`}>
            The doctor this account is: their schedule and appointments.
          </p>
          <FieldError error={error} path="doctorId" id={`${ids}-doctor`} />
        </div>
      ) : null}
    </EditForm>
  );
}

/** Deactivate (the account is disabled and signed out everywhere) or reactivate a staff member. */
function SetActive(props: { member: Member; active: boolean; onDone: (message: string) => void; onCancel: () => void }) {
  const { member } = props;
  const { call } = useSession();
  const ids = useId();
  const { busy, error, send } = useRequest();
  const request = async () => {
    await call("PUT /api/admin/staff/{sub}", { path: { sub: member.sub }, body: recordOf(member, props.active) });
  };
  if (props.active) {
    return (
      <ReactivateCard
        name={member.name}
        onCancel={props.onCancel}
        onDone={props.onDone}
        request={async () => {
          await request();
          return `${member.name} can sign in again, with the roles and clinics of their record.`;
        }}
      >
        <p>Their account is enabled again; they sign in with their password and authenticator app as before.</p>
      </ReactivateCard>
    );
  }
  return (
    <DeactivateCard
      ids={ids}
      name={member.name}
      error={error}
      busy={busy}
      keepLabel="Keep them active"
      onDeactivate={() =>
        void send([], async () => {
          await request();
          props.onDone(`${member.name} is inactive: their account is disabled and signed out.`);
        })
      }
      onCancel={props.onCancel}
    >
      <p>
        They can no longer sign in, and their requests are refused at once. Their record and audit trail stay; you can reactivate them
        later.
      </p>
    </DeactivateCard>
  );
}
