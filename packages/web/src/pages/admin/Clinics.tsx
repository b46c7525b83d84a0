/**
 * Clinics the administrator manages: the list (inactive ones marked), add, edit (conditional on
 * the `updatedAt` the form was opened with: 409 CHANGED_MEANWHILE if someone saved since), and
 * deactivate (409 CLINIC_HAS_BOOKINGS lists the appointments still booked; "deactivate anyway"
 * keeps them booked), and reactivate an inactive one.
 */
import { useId, useState } from "react";
import type { BodyOf } from "../../../../../functions/contract";
import { ErrorNotice, Loading, Notice, Page } from "../../components/ui";
import { useSession } from "../../session";
import { CatalogTable, DeactivateCard, EditForm, ReactivateCard, useManagedList, useRequest } from "./catalog";
import { FieldError, fieldProps, savedMessage, type AdminClinic, type FieldIssue, useAdminClinics } from "./shared";

export function Clinics() {
  const clinics = useAdminClinics();
  const panel = useManagedList(clinics.clinics, clinics.reload);
  return (
    <Page
      title="Clinics"
      actions={
        <button type="button" className="primary" onClick={() => panel.open({ kind: "new" })}>
          Add a clinic
        </button>
      }
    >
      <Notice kind="success">{panel.done}</Notice>
      <ErrorNotice error={clinics.error} />
      {clinics.loading && !clinics.data ? <Loading what="clinics" /> : null}
      {clinics.data ? (
        clinics.clinics.length === 0 ? (
          <p className="muted">You manage no clinics yet. Add one: you become its administrator.</p>
        ) : (
          <CatalogTable
            items={clinics.clinics}
            caption="Your clinics"
            headers={["Clinic", "Time zone", "Address", "Phone"]}
            rowData="clinic"
            onOpen={panel.open}
            cells={(c) => (
              <>
                <td>{c.timeZone}</td>
                <td>
                  {c.address.line1}, {c.address.postcode} {c.address.city}, {c.address.country}
                </td>
                <td>{c.phone ?? <span className="muted">—</span>}</td>
              </>
            )}
          />
        )
      ) : null}

      {panel.adding ? <ClinicForm key="new" onCancel={() => panel.close()} onSaved={panel.saved} /> : null}
      {panel.editing ? (
        <ClinicForm
          key={panel.editKey}
          clinic={panel.editing}
          onCancel={() => panel.close()}
          onReload={() => void clinics.reload()}
          onSaved={panel.saved}
        />
      ) : null}
      {panel.deactivating ? (
        <DeactivateClinic
          key={panel.deactivating.id}
          clinic={panel.deactivating}
          clinicOf={clinics.clinic}
          onCancel={() => panel.close()}
          onDone={panel.saved}
        />
      ) : null}
      {panel.reactivating ? (
        <ReactivateClinic key={panel.reactivating.id} clinic={panel.reactivating} onCancel={() => panel.close()} onDone={panel.saved} />
      ) : null}
    </Page>
  );
}

interface Draft {
  clinicId: string;
  name: string;
  timeZone: string;
  line1: string;
  city: string;
  postcode: string;
  country: string;
  phone: string;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const PHONE = /^\+[1-9][0-9 ()-]{6,24}$/;
const FIELDS = ["clinicId", "name", "timeZone", "address.line1", "address.city", "address.postcode", "address.country", "phone"] as const;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** The zones the browser knows, for the time-zone field's suggestions. */
export const timeZones: string[] = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

function check(d: Draft, isNew: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (isNew && !SLUG.test(d.clinicId.trim()))
    issues.push({ path: "clinicId", message: "Use lower-case letters, digits and dashes, e.g. london-central" });
  if (!d.name.trim()) issues.push({ path: "name", message: "Enter the clinic's name" });
  if (!isTimeZone(d.timeZone.trim())) issues.push({ path: "timeZone", message: "Enter an IANA time zone, e.g. Europe/London" });
  if (!d.line1.trim()) issues.push({ path: "address.line1", message: "Enter the street address" });
  if (!d.city.trim()) issues.push({ path: "address.city", message: "Enter the city" });
  if (!d.postcode.trim()) issues.push({ path: "address.postcode", message: "Enter the postcode" });
  if (!/^[A-Za-z]{2}$/.test(d.country.trim())) issues.push({ path: "address.country", message: "Enter a two-letter country code, e.g. GB" });
  if (d.phone.trim() && !PHONE.test(d.phone.trim())) issues.push({ path: "phone", message: "Use the international format, e.g. +44 20 7946 0000" });
  return issues;
}

function ClinicForm(props: { clinic?: AdminClinic; onSaved: (message: string) => void; onCancel: () => void; onReload?: () => void }) {
  const { clinic } = props;
  const { call } = useSession();
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(() => ({
    clinicId: clinic?.id ?? "",
    name: clinic?.name ?? "",
    timeZone: clinic?.timeZone ?? "",
    line1: clinic?.address.line1 ?? "",
    city: clinic?.address.city ?? "",
    postcode: clinic?.address.postcode ?? "",
    country: clinic?.address.country ?? "",
    phone: clinic?.phone ?? "",
  }));
  const { busy, error, send } = useRequest();
  const set = (field: keyof Draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [field]: e.target.value });

  const save = () =>
    send(check(draft, !clinic), async (attemptKey) => {
      const address = { line1: draft.line1.trim(), city: draft.city.trim(), postcode: draft.postcode.trim(), country: draft.country.trim().toUpperCase() };
      const phone = draft.phone.trim();
      if (clinic) {
        const body: BodyOf<"PUT /api/admin/clinics/{clinicId}"> = {
          name: draft.name.trim(),
          timeZone: draft.timeZone.trim(),
          address,
          ...(phone ? { phone } : clinic.phone ? { phone: null } : {}),
          ...(clinic.updatedAt ? { expectedUpdatedAt: clinic.updatedAt } : {}),
        };
        const answer = await call("PUT /api/admin/clinics/{clinicId}", { path: { clinicId: clinic.id }, body });
        props.onSaved(savedMessage(answer.clinic.name, answer.changed));
      } else {
        const created = await call("POST /api/admin/clinics", {
          body: { clinicId: draft.clinicId.trim(), name: draft.name.trim(), timeZone: draft.timeZone.trim(), address, ...(phone ? { phone } : {}) },
          idempotencyKey: attemptKey,
        });
        props.onSaved(`Added ${created.name}. You manage it; it offers no times until doctors work there.`);
      }
    });

  const field = (path: (typeof FIELDS)[number], suffix: string, hint?: string) => fieldProps(error, path, `${ids}-${suffix}`, hint ? `${ids}-${suffix}-hint` : undefined);
  return (
    <EditForm
      ids={ids}
      title={clinic ? `Edit ${clinic.name}` : "Add a clinic"}
      fields={FIELDS}
      error={error}
      busy={busy}
      addLabel={clinic ? undefined : "Add clinic"}
      onSubmit={() => void save()}
      onCancel={props.onCancel}
      onReload={props.onReload}
    >
      {clinic ? null : (
        <div className="field">
          <label htmlFor={`${ids}-id`}>Clinic id</label>
          <input {...field("clinicId", "id", "hint")} required value={draft.clinicId} onChange={set("clinicId")} autoComplete="off" />
          <p className="hint" id={`${ids}-id-hint`}>
            Lower-case letters, digits and dashes, e.g. <code>leeds-north</code>. It cannot be changed later.
          </p>
          <FieldError error={error} path="clinicId" id={`${ids}-id`} />
        </div>
      )}
      <div className="row">
        <div className="field">
          <label htmlFor={`${ids}-name`}>Name</label>
          <input {...field("name", "name")} required value={draft.name} onChange={set("name")} />
          <FieldError error={error} path="name" id={`${ids}-name`} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-zone`}>Time zone</label>
          <input {...field("timeZone", "zone", "hint")} required list={`${ids}-zones`} value={draft.timeZone} onChange={set("timeZone")} />
          <datalist id={`${ids}-zones`}>
            {timeZones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <p className="hint" id={`${ids}-zone-hint`}>
            IANA name, e.g. Europe/London. Opening hours and appointments are in this zone.
          </p>
          <FieldError error={error} path="timeZone" id={`${ids}-zone`} />
        </div>
      </div>
      <fieldset>
        <legend>Address</legend>
        <div className="row">
          <div className="field grow">
            <label htmlFor={`${ids}-line1`}>Street address</label>
            <input {...field("address.line1", "line1")} required autoComplete="off" value={draft.line1} onChange={set("line1")} />
            <FieldError error={error} path="address.line1" id={`${ids}-line1`} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-city`}>City</label>
            <input {...field("address.city", "city")} required value={draft.city} onChange={set("city")} />
            <FieldError error={error} path="address.city" id={`${ids}-city`} />
          </div>
          <div className="field short">
            <label htmlFor={`${ids}-postcode`}>Postcode</label>
            <input {...field("address.postcode", "postcode")} required value={draft.postcode} onChange={set("postcode")} />
            <FieldError error={error} path="address.postcode" id={`${ids}-postcode`} />
          </div>
          <div className="field short">
            <label htmlFor={`${ids}-country`}>Country code</label>
            <input
              {...field("address.country", "country", "hint")}
              required
              maxLength={2}
              value={draft.country}
              onChange={set("country")}
            />
            <p className="hint" id={`${ids}-country-hint`}>
              Two letters, e.g. GB
            </p>
            <FieldError error={error} path="address.country" id={`${ids}-country`} />
          </div>
        </div>
      </fieldset>
      <div className="field narrow">
        <label htmlFor={`${ids}-phone`}>
          Phone <span className="required">(optional)</span>
        </label>
        <input {...field("phone", "phone", "hint")} type="tel" value={draft.phone} onChange={set("phone")} />
        <p className="hint" id={`${ids}-phone-hint`}>
          International format, e.g. +44 20 7946 0000
        </p>
        <FieldError error={error} path="phone" id={`${ids}-phone`} />
      </div>
    </EditForm>
  );
}

function DeactivateClinic(props: {
  clinic: AdminClinic;
  clinicOf: (id: string) => AdminClinic | undefined;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const { clinic } = props;
  const { call } = useSession();
  const ids = useId();
  const { busy, error, send } = useRequest();

  const deactivate = (force: boolean) =>
    send([], async () => {
      const answer = await call("POST /api/admin/clinics/{clinicId}/deactivate", { path: { clinicId: clinic.id }, body: { force } });
      const kept = answer.futureBookings.count;
      props.onDone(
        `${clinic.name} is inactive: patients can no longer book there.` +
          (kept ? ` ${kept} appointment(s) booked there stay booked.` : ""),
      );
    });

  return (
    <DeactivateCard
      ids={ids}
      name={clinic.name}
      error={error}
      busy={busy}
      blocked={{
        code: "CLINIC_HAS_BOOKINGS",
        clinicOf: props.clinicOf,
        message: (count) => (
          <>
            <strong>
              {count} appointment(s) are still booked at {clinic.name}.
            </strong>{" "}
            Cancel or move them first, or deactivate anyway: they stay booked, and their patients can still cancel them.
          </>
        ),
        force: "Deactivate anyway, keep the bookings",
      }}
      keepLabel="Keep it active"
      onDeactivate={(force) => void deactivate(force)}
      onCancel={props.onCancel}
    >
      <p>
        The clinic leaves the catalog: patients can no longer find it or book there. Its history and audit trail stay. You can reactivate
        it later.
      </p>
    </DeactivateCard>
  );
}

function ReactivateClinic(props: { clinic: AdminClinic; onDone: (message: string) => void; onCancel: () => void }) {
  const { clinic } = props;
  const { call } = useSession();
  return (
    <ReactivateCard
      name={clinic.name}
      onCancel={props.onCancel}
      onDone={props.onDone}
      request={async () => {
        await call("POST /api/admin/clinics/{clinicId}/reactivate", { path: { clinicId: clinic.id }, body: {} });
        return `${clinic.name} is active again: patients can find it and book there with its active doctors.`;
      }}
    >
      <p>The clinic is back in the catalog. Its active doctors offer their times there again; inactive ones stay inactive.</p>
    </ReactivateCard>
  );
}
