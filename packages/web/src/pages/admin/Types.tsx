/**
 * Visit (appointment) types of the region: the list (inactive ones marked), add, edit
 * (conditional on `updatedAt`; the API checks the type's rules as a whole and answers 400 with
 * the field at fault), deactivate and reactivate (409 TYPE_NOT_OFFERABLE lists what to correct).
 * A type that requires pre-screening has its questionnaire and time limits written in the
 * editor (Questionnaire.tsx), from scratch or from a copy of another type's.
 */
import { useId, useState } from "react";
import type { BodyOf } from "../../../../../functions/contract";
import { ApiError } from "../../api/client";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { useSession } from "../../session";
import { CatalogTable, DeactivateCard, EditForm, ReactivateCard, useManagedList, useRequest } from "./catalog";
import { QuestionnaireEditor } from "./Questionnaire";
import { checkPrescreening, draftOf, prescreeningOf, type PrescreeningDraft } from "./questionnaire-draft";
import { FieldError, IssueList, fieldProps, formatMinutes, savedMessage, splitList, type AdminType, type FieldIssue } from "./shared";

interface Questionnaire {
  title?: string;
  questions?: unknown[];
}
const questionnaireOf = (t: AdminType): Questionnaire | undefined => (t.prescreening as { questionnaire?: Questionnaire } | undefined)?.questionnaire;

export function Types() {
  const { call } = useSession();
  const types = useLoad((signal) => call("GET /api/admin/types", { signal }), [call]);
  const list = types.data?.types ?? [];
  const panel = useManagedList(list, types.reload);
  return (
    <Page
      title="Visit types"
      actions={
        <button type="button" className="primary" onClick={() => panel.open({ kind: "new" })}>
          Add a visit type
        </button>
      }
    >
      <p className="muted">Visit types are shared by every clinic of the region.</p>
      <Notice kind="success">{panel.done}</Notice>
      <ErrorNotice error={types.error} />
      {types.loading && !types.data ? <Loading what="visit types" /> : null}
      {types.data ? (
        <CatalogTable
          items={list}
          caption="Visit types"
          className="data types"
          headers={["Visit type", "Duration", "Booking window", "Pre-screening", "Required skill", "Reminders"]}
          rowData="type"
          onOpen={panel.open}
          cells={(t) => (
            <>
              <td>
                {formatMinutes(t.durationMinutes)}
                <div className="muted small">
                  buffers {formatMinutes(t.bufferBeforeMinutes)} before, {formatMinutes(t.bufferAfterMinutes)} after
                </div>
              </td>
              <td>
                {formatMinutes(t.minimumNoticeMinutes)} to {t.bookingHorizonDays} days ahead
              </td>
              <td>{t.requiresPrescreening ? `Yes: ${questionnaireOf(t)?.title ?? "questionnaire"}` : "No"}</td>
              <td>{t.requiredSkill ?? <span className="muted">Any doctor</span>}</td>
              <td>
                {t.reminderOffsetsMinutes
                  ? t.reminderOffsetsMinutes.length
                    ? t.reminderOffsetsMinutes.map(formatMinutes).join(", ") + " before"
                    : "None"
                  : <span className="muted">Region's default</span>}
              </td>
            </>
          )}
        />
      ) : null}

      {panel.adding ? <TypeForm key="new" types={list} onCancel={() => panel.close()} onSaved={panel.saved} /> : null}
      {panel.editing ? (
        <TypeForm
          key={panel.editKey}
          type={panel.editing}
          types={list}
          onCancel={() => panel.close()}
          onReload={() => void types.reload()}
          onSaved={panel.saved}
        />
      ) : null}
      {panel.deactivating ? (
        <DeactivateType key={panel.deactivating.id} type={panel.deactivating} onCancel={() => panel.close()} onDone={panel.saved} />
      ) : null}
      {panel.reactivating ? (
        <ReactivateType key={panel.reactivating.id} type={panel.reactivating} onCancel={() => panel.close()} onDone={panel.saved} />
      ) : null}
    </Page>
  );
}

interface Draft {
  typeId: string;
  name: string;
  description: string;
  durationMinutes: string;
  bufferBeforeMinutes: string;
  bufferAfterMinutes: string;
  minimumNoticeMinutes: string;
  bookingHorizonDays: string;
  requiredSkill: string;
  regionReminders: boolean;
  reminders: string;
  requiresPrescreening: boolean;
  /** The questionnaire and time limits, as edited (sent while pre-screening is on). */
  prescreening: PrescreeningDraft;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SKILL = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const FIELDS = [
  "typeId",
  "name",
  "description",
  "durationMinutes",
  "bufferBeforeMinutes",
  "bufferAfterMinutes",
  "minimumNoticeMinutes",
  "bookingHorizonDays",
  "requiredSkill",
  "reminderOffsetsMinutes",
  "prescreening",
] as const;
type Field = (typeof FIELDS)[number];

const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN);

function check(d: Draft, isNew: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const minutes = (path: Field, text: string, min: number, max: number, what: string) => {
    const n = whole(text);
    if (!Number.isInteger(n) || n < min || n > max) issues.push({ path, message: `${what}: a whole number of minutes from ${min} to ${max}` });
    else if (n % 5 !== 0) issues.push({ path, message: `${what}: must be a multiple of 5 minutes` });
    return n;
  };
  if (isNew && !SLUG.test(d.typeId.trim())) issues.push({ path: "typeId", message: "Use lower-case letters, digits and dashes, e.g. travel-vaccination" });
  if (!d.name.trim()) issues.push({ path: "name", message: "Enter the visit type's name" });
  if (d.description.trim().length > 1000) issues.push({ path: "description", message: "At most 1000 characters" });
  minutes("durationMinutes", d.durationMinutes, 5, 480, "Duration");
  minutes("bufferBeforeMinutes", d.bufferBeforeMinutes, 0, 120, "Buffer before");
  minutes("bufferAfterMinutes", d.bufferAfterMinutes, 0, 120, "Buffer after");
  const notice = minutes("minimumNoticeMinutes", d.minimumNoticeMinutes, 0, 43_200, "Minimum notice");
  const horizon = whole(d.bookingHorizonDays);
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 730) issues.push({ path: "bookingHorizonDays", message: "A whole number of days from 1 to 730" });
  else if (Number.isInteger(notice) && horizon * 1440 <= notice) issues.push({ path: "bookingHorizonDays", message: "The booking horizon must reach beyond the minimum notice" });
  if (d.requiredSkill.trim() && !SKILL.test(d.requiredSkill.trim().toLowerCase()))
    issues.push({ path: "requiredSkill", message: "A lower-case word or words joined by dashes, e.g. cardiology" });
  if (!d.regionReminders) {
    const offsets = splitList(d.reminders).map(whole);
    if (offsets.some((n) => !Number.isInteger(n) || n < 1 || n > 20_160))
      issues.push({ path: "reminderOffsetsMinutes", message: "Whole minutes from 1 to 20160 (14 days), separated by commas" });
    else if (new Set(offsets).size !== offsets.length) issues.push({ path: "reminderOffsetsMinutes", message: "Each reminder time only once" });
    else if (offsets.length > 10) issues.push({ path: "reminderOffsetsMinutes", message: "At most 10 reminders" });
  }
  if (d.requiresPrescreening) issues.push(...checkPrescreening(d.prescreening));
  return issues;
}

function TypeForm(props: { type?: AdminType; types: AdminType[]; onSaved: (message: string) => void; onCancel: () => void; onReload?: () => void }) {
  const { type } = props;
  const { call } = useSession();
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(() => ({
    typeId: type?.id ?? "",
    name: type?.name ?? "",
    description: type?.description ?? "",
    durationMinutes: String(type?.durationMinutes ?? 15),
    bufferBeforeMinutes: String(type?.bufferBeforeMinutes ?? 0),
    bufferAfterMinutes: String(type?.bufferAfterMinutes ?? 0),
    minimumNoticeMinutes: String(type?.minimumNoticeMinutes ?? 0),
    bookingHorizonDays: String(type?.bookingHorizonDays ?? 365),
    requiredSkill: type?.requiredSkill ?? "",
    regionReminders: type?.reminderOffsetsMinutes === undefined,
    reminders: (type?.reminderOffsetsMinutes ?? []).join(", "),
    requiresPrescreening: type?.requiresPrescreening ?? false,
    prescreening: draftOf(type?.prescreening),
  }));
  const { busy, error, send } = useRequest();
  const set = (field: keyof Draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [field]: e.target.value });

  const own = type ? questionnaireOf(type) : undefined;
  const sources = props.types.filter((t) => t.id !== type?.id && questionnaireOf(t));
  // Sent when pre-screening is on and it differs from the stored one (an unchanged one is no change).
  const [stored] = useState(() => (type?.prescreening ? JSON.stringify(prescreeningOf(draftOf(type.prescreening))) : undefined));
  const prescreening = () => {
    if (!draft.requiresPrescreening) return {};
    const edited = prescreeningOf(draft.prescreening);
    return JSON.stringify(edited) === stored ? {} : { prescreening: edited };
  };

  const save = () =>
    send(check(draft, !type), async (attemptKey) => {
      const description = draft.description.trim();
      const skill = draft.requiredSkill.trim().toLowerCase();
      const reminders = draft.regionReminders ? undefined : splitList(draft.reminders).map(Number);
      const fields = {
        name: draft.name.trim(),
        durationMinutes: whole(draft.durationMinutes),
        bufferBeforeMinutes: whole(draft.bufferBeforeMinutes),
        bufferAfterMinutes: whole(draft.bufferAfterMinutes),
        minimumNoticeMinutes: whole(draft.minimumNoticeMinutes),
        bookingHorizonDays: whole(draft.bookingHorizonDays),
        requiresPrescreening: draft.requiresPrescreening,
        ...prescreening(),
      };
      if (type) {
        const body: BodyOf<"PUT /api/admin/types/{typeId}"> = {
          ...fields,
          ...(description ? { description } : type.description ? { description: null } : {}),
          ...(skill ? { requiredSkill: skill } : type.requiredSkill ? { requiredSkill: null } : {}),
          ...(reminders ? { reminderOffsetsMinutes: reminders } : type.reminderOffsetsMinutes ? { reminderOffsetsMinutes: null } : {}),
          ...(type.updatedAt ? { expectedUpdatedAt: type.updatedAt } : {}),
        };
        const answer = await call("PUT /api/admin/types/{typeId}", { path: { typeId: type.id }, body });
        props.onSaved(savedMessage(answer.type.name, answer.changed));
      } else {
        const created = await call("POST /api/admin/types", {
          body: {
            typeId: draft.typeId.trim(),
            ...fields,
            ...(description ? { description } : {}),
            ...(skill ? { requiredSkill: skill } : {}),
            ...(reminders ? { reminderOffsetsMinutes: reminders } : {}),
          },
          idempotencyKey: attemptKey,
        });
        props.onSaved(`Added ${created.name}. Patients can book it at every clinic with a doctor who can take it.`);
      }
    });

  const field = (path: Field, suffix: string, hint?: boolean) => fieldProps(error, path, `${ids}-${suffix}`, hint ? `${ids}-${suffix}-hint` : undefined);
  const number = (path: Field, suffix: string, label: string, hint: string, min: number, max: number, step: number) => (
    <div className="field short">
      <label htmlFor={`${ids}-${suffix}`}>{label}</label>
      <input
        {...field(path, suffix, true)}
        type="number"
        inputMode="numeric"
        required
        min={min}
        max={max}
        step={step}
        value={draft[path as keyof Draft] as string}
        onChange={set(path as keyof Draft)}
      />
      <p className="hint" id={`${ids}-${suffix}-hint`}>
        {hint}
      </p>
      <FieldError error={error} path={path} id={`${ids}-${suffix}`} />
    </div>
  );

  return (
    <EditForm
      ids={ids}
      title={type ? `Edit ${type.name}` : "Add a visit type"}
      fields={FIELDS}
      error={error}
      busy={busy}
      addLabel={type ? undefined : "Add visit type"}
      onSubmit={() => void save()}
      onCancel={props.onCancel}
      onReload={props.onReload}
    >
      <div className="row">
        {type ? null : (
          <div className="field">
            <label htmlFor={`${ids}-id`}>Visit type id</label>
            <input {...field("typeId", "id", true)} required autoComplete="off" value={draft.typeId} onChange={set("typeId")} />
            <p className="hint" id={`${ids}-id-hint`}>
              Lower-case letters, digits and dashes; cannot be changed later.
            </p>
            <FieldError error={error} path="typeId" id={`${ids}-id`} />
          </div>
        )}
        <div className="field grow">
          <label htmlFor={`${ids}-name`}>Name</label>
          <input {...field("name", "name")} required autoComplete="off" value={draft.name} onChange={set("name")} />
          <FieldError error={error} path="name" id={`${ids}-name`} />
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${ids}-description`}>
          Description <span className="required">(optional)</span>
        </label>
        <textarea {...field("description", "description")} rows={2} maxLength={1000} value={draft.description} onChange={set("description")} />
        <FieldError error={error} path="description" id={`${ids}-description`} />
      </div>
      <div className="row">
        {number("durationMinutes", "duration", "Duration (minutes)", "5 to 480, in steps of 5", 5, 480, 5)}
        {number("bufferBeforeMinutes", "before", "Buffer before (minutes)", "Doctor's preparation time", 0, 120, 5)}
        {number("bufferAfterMinutes", "after", "Buffer after (minutes)", "Time to write up", 0, 120, 5)}
      </div>
      <div className="row">
        {number("minimumNoticeMinutes", "notice", "Minimum notice (minutes)", "How soon before the start it can be booked", 0, 43_200, 5)}
        {number("bookingHorizonDays", "horizon", "Booking horizon (days)", "How far ahead it can be booked", 1, 730, 1)}
        <div className="field short">
          <label htmlFor={`${ids}-skill`}>
            Required skill <span className="required">(optional)</span>
          </label>
          <input {...field("requiredSkill", "skill", true)} autoComplete="off" value={draft.requiredSkill} onChange={set("requiredSkill")} />
          <p className="hint" id={`${ids}-skill-hint`}>
            Only doctors with this skill take it; empty: any doctor.
          </p>
          <FieldError error={error} path="requiredSkill" id={`${ids}-skill`} />
        </div>
      </div>
      <fieldset>
        <legend>Reminders</legend>
        <label className="check">
          <input type="checkbox" checked={draft.regionReminders} onChange={(e) => setDraft({ ...draft, regionReminders: e.target.checked })} /> Use
          the region's default reminder times
        </label>
        {draft.regionReminders ? null : (
          <div className="field">
            <label htmlFor={`${ids}-reminders`}>Minutes before the start</label>
            <input {...field("reminderOffsetsMinutes", "reminders", true)} autoComplete="off" value={draft.reminders} onChange={set("reminders")} />
            <p className="hint" id={`${ids}-reminders-hint`}>
              Separated by commas, e.g. 1440, 120 for a day and two hours before. Empty: no reminders.
            </p>
            <FieldError error={error} path="reminderOffsetsMinutes" id={`${ids}-reminders`} />
          </div>
        )}
      </fieldset>
      <fieldset>
        <legend>Pre-screening</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={draft.requiresPrescreening}
            onChange={(e) => setDraft({ ...draft, requiresPrescreening: e.target.checked })}
          />{" "}
          A nurse checks the patient's answers before the visit is confirmed
        </label>
        <FieldError error={error} path="prescreening" id={`${ids}-prescreening`} exact />
        {draft.requiresPrescreening ? (
          <div className="stack">
            <QuestionnaireEditor
              ids={ids}
              draft={draft.prescreening}
              onChange={(next) => setDraft({ ...draft, prescreening: next })}
              error={error}
              sources={sources}
            />
          </div>
        ) : own ? (
          <p className="hint">
            Its questionnaire ({own.title ?? "untitled"}, {own.questions?.length ?? 0} questions) is kept for when pre-screening is on again.
          </p>
        ) : null}
      </fieldset>
    </EditForm>
  );
}

function DeactivateType(props: { type: AdminType; onDone: (message: string) => void; onCancel: () => void }) {
  const { type } = props;
  const { call } = useSession();
  const ids = useId();
  const { busy, error, send } = useRequest();

  const deactivate = () =>
    send([], async () => {
      await call("POST /api/admin/types/{typeId}/deactivate", { path: { typeId: type.id }, body: {} });
      props.onDone(`${type.name} is inactive: it can no longer be booked. Appointments already booked stay as they are.`);
    });

  return (
    <DeactivateCard ids={ids} name={type.name} error={error} busy={busy} keepLabel="Keep it bookable" onDeactivate={() => void deactivate()} onCancel={props.onCancel}>
      <p>Patients can no longer book it at any clinic. Appointments already booked keep it.</p>
    </DeactivateCard>
  );
}

/** "Reactivate X?"; a 409 TYPE_NOT_OFFERABLE lists the settings to correct (then edit, then reactivate). */
function ReactivateType(props: { type: AdminType; onDone: (message: string) => void; onCancel: () => void }) {
  const { type } = props;
  const { call } = useSession();
  return (
    <ReactivateCard
      name={type.name}
      onCancel={props.onCancel}
      onDone={props.onDone}
      request={async () => {
        await call("POST /api/admin/types/{typeId}/reactivate", { path: { typeId: type.id }, body: {} });
        return `${type.name} is active again: patients can book it at every clinic with a doctor who can take it.`;
      }}
      details={(error) => <SettingsToCorrect error={error} />}
    >
      <p>Patients can book it again, with its settings as they are now.</p>
    </ReactivateCard>
  );
}

function SettingsToCorrect({ error }: { error: ApiError }) {
  if (error.code !== "TYPE_NOT_OFFERABLE") return null;
  const issues = (error.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
  return <IssueList issues={issues.filter((i) => typeof i.message === "string")} />;
}
