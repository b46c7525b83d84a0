/**
 * The audit trail of the administrator's clinics: by appointment, actor or clinic (at least one
 * — the API has no index over the whole region), within dates; newest first, a page (10, 50 or
 * 200) at a time with "Load more" (the API's cursor). "Region-wide" in the clinic picker lists
 * the changes that concern no one clinic (appointment types, the region's settings, staff of no
 * clinic). Each entry shows its place in its hash chain once the chainer got to it, and its
 * actor by name where the API knows one (the id stays available, and filtering is by id). The
 * filters live in the address (?appointmentId=…), so a search can be linked to and survives a
 * reload.
 */
import { useId, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import type { QueryOf } from "../../../../../functions/contract";
import type { ResponseOf } from "../../api/client";
import { ShowMore, usePaged } from "../../components/paged";
import { ErrorNotice, Loading, Page } from "../../components/ui";
import { browserTimeZone } from "../../lib/time";
import { useSession } from "../../session";
import { ClinicOptions, FieldError, FilterForm, fieldProps, invalid, shortId, type FieldIssue, useAdminClinics } from "./shared";

type AuditPage = ResponseOf<"GET /api/admin/appointments/audit">;
type Entry = AuditPage["items"][number];
type Actors = AuditPage["actors"];

/** The clinic filter's value for the region-wide entries (the API's pseudo clinic). */
const REGION = "region";
type Filters = { appointmentId: string; actor: string; clinicId: string; from: string; to: string; limit: string };

const PAGE_SIZES = ["10", "50", "200"];
const DEFAULT_PAGE_SIZE = "50";
const KEYS = ["appointmentId", "actor", "clinicId", "from", "to", "limit"] as const;
const EMPTY: Filters = { appointmentId: "", actor: "", clinicId: "", from: "", to: "", limit: DEFAULT_PAGE_SIZE };
const FIELDS = ["appointmentId", "actor", "clinicId", "from", "to"] as const;

function filtersOf(params: URLSearchParams): Filters {
  const filters = Object.fromEntries(KEYS.map((k) => [k, params.get(k)?.trim() ?? ""])) as Filters;
  return { ...filters, limit: PAGE_SIZES.includes(filters.limit) ? filters.limit : DEFAULT_PAGE_SIZE };
}

function check(f: Filters): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!f.appointmentId && !f.actor && !f.clinicId)
    issues.push({ path: "appointmentId", message: "Give an appointment id, an actor or a clinic (at least one)" });
  if (f.from && f.to && f.to < f.from) issues.push({ path: "to", message: "The end date must not be before the start date" });
  return issues;
}

export function Audit() {
  const ids = useId();
  const [params, setParams] = useSearchParams();
  const applied = filtersOf(params);
  const clinics = useAdminClinics();
  const [draft, setDraft] = useState<Filters>(applied);
  const [error, setError] = useState<unknown>();
  // Each search reads again, also with the same filters.
  const [run, setRun] = useState(0);
  const searchable = check(applied).length === 0;

  // A link that changes the address (an entry's "show only this appointment") changes the form too.
  const appliedKey = KEYS.map((k) => applied[k]).join("|");
  const [shownKey, setShownKey] = useState(appliedKey);
  if (shownKey !== appliedKey) {
    setShownKey(appliedKey);
    setDraft(applied);
  }

  function apply(next: Filters) {
    const issues = check(next);
    if (issues.length) return setError(invalid(issues));
    setError(undefined);
    setRun((n) => n + 1);
    setParams(Object.fromEntries(KEYS.filter((k) => next[k] && !(k === "limit" && next[k] === DEFAULT_PAGE_SIZE)).map((k) => [k, next[k]])));
  }
  const set = (field: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [field]: e.target.value });
  const field = (path: (typeof FIELDS)[number], hint?: boolean) => fieldProps(error, path, `${ids}-${path}`, hint ? `${ids}-${path}-hint` : undefined);

  return (
    <Page title="Audit log">
      <FilterForm
        headingId={`${ids}-filters`}
        heading="Filters"
        error={error}
        fields={FIELDS}
        onSubmit={() => apply({ ...draft, appointmentId: draft.appointmentId.trim(), actor: draft.actor.trim() })}
      >
        <p className="hint">Give at least one of appointment, actor or clinic. Dates are whole UTC days.</p>
        <div className="row">
          <div className="field">
            <label htmlFor={`${ids}-appointmentId`}>Appointment id</label>
            <input {...field("appointmentId")} autoComplete="off" spellCheck={false} value={draft.appointmentId} onChange={set("appointmentId")} />
            <FieldError error={error} path="appointmentId" id={`${ids}-appointmentId`} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-actor`}>Actor (user id)</label>
            <input {...field("actor")} autoComplete="off" spellCheck={false} value={draft.actor} onChange={set("actor")} />
            <FieldError error={error} path="actor" id={`${ids}-actor`} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-clinicId`}>Clinic</label>
            <select {...field("clinicId")} value={draft.clinicId} onChange={set("clinicId")}>
              <option value="">Any of my clinics</option>
              <ClinicOptions clinics={clinics.clinics} />
              <option value={REGION}>Region-wide (appointment types, region settings, staff)</option>
            </select>
            <FieldError error={error} path="clinicId" id={`${ids}-clinicId`} />
          </div>
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor={`${ids}-from`}>From (UTC date)</label>
            <input {...field("from")} type="date" value={draft.from} onChange={set("from")} />
            <FieldError error={error} path="from" id={`${ids}-from`} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-to`}>To (UTC date)</label>
            <input {...field("to")} type="date" value={draft.to} onChange={set("to")} />
            <FieldError error={error} path="to" id={`${ids}-to`} />
          </div>
          <div className="field short">
            <label htmlFor={`${ids}-limit`}>Entries per page</label>
            <select id={`${ids}-limit`} value={draft.limit} onChange={set("limit")}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setError(undefined);
              setDraft(EMPTY);
              setParams({});
            }}
          >
            Clear
          </button>
        </div>
      </FilterForm>
      {searchable ? (
        <Results
          key={`${appliedKey}#${run}`}
          filters={applied}
          clinicName={(id) => (id === REGION ? "Region-wide" : clinics.clinicName(id))}
          onFilter={(next) => apply({ ...applied, ...next })}
        />
      ) : (
        <p className="muted">Choose what to look for above.</p>
      )}
    </Page>
  );
}

function Results({ filters, clinicName, onFilter }: { filters: Filters; clinicName: (id: string) => string; onFilter: (f: Partial<Filters>) => void }) {
  const { call } = useSession();
  const query: QueryOf<"GET /api/admin/appointments/audit"> = {
    ...Object.fromEntries(KEYS.filter((k) => filters[k] && k !== "limit").map((k) => [k, filters[k]])),
    limit: Number(filters.limit),
  };
  const paged = usePaged((cursor, signal) => call("GET /api/admin/appointments/audit", { query: { ...query, cursor }, signal }), []);
  const { first, items, cursor } = paged;
  const actors: Actors = Object.assign({}, ...paged.pages.map((p) => p.actors));
  const zone = browserTimeZone();

  return (
    <section aria-labelledby="audit-results">
      <h2 id="audit-results">Entries</h2>
      <ErrorNotice error={first.error} />
      {first.loading && !first.data ? <Loading what="audit entries" /> : null}
      {first.data ? (
        <>
          <p className="muted" role="status">
            {items.length === 0 ? "No entries match." : `${items.length} ${items.length === 1 ? "entry" : "entries"}${cursor ? " so far" : ""}, newest first.`}{" "}
            Times in your time zone, {zone}.
          </p>
          {items.length ? (
            <div className="table-wrap">
              <table className="data audit">
                <caption className="visually-hidden">Audit entries, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Clinic</th>
                    <th scope="col">Chain</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.auditId} data-audit={e.auditId}>
                      <td>
                        <time dateTime={e.at}>{formatInstant(e.at, zone)}</time>
                      </td>
                      <td>
                        <ActorCell entry={e} actors={actors} onFilter={onFilter} />
                      </td>
                      <td>{e.action}</td>
                      <td>
                        {e.subjectType === "appointment" ? (
                          <FilterLink
                            label={`show only appointment ${e.subjectId}`}
                            onClick={() => onFilter({ appointmentId: e.subjectId, actor: "" })}
                          >
                            <code>{shortId(e.subjectId)}</code>
                          </FilterLink>
                        ) : (
                          <code>{shortId(e.subjectId)}</code>
                        )}
                        <div className="muted small">{e.subjectType}</div>
                      </td>
                      <td>{clinicName(e.clinicId)}</td>
                      <td>
                        {e.chain ? (
                          <>
                            #{e.chain.seq} <span className="muted small">on {e.chain.day}</span>
                            <div>
                              <code>{e.chain.hash.slice(0, 12)}…</code>
                            </div>
                          </>
                        ) : (
                          <span className="muted">Not chained yet</span>
                        )}
                      </td>
                      <td>
                        <details>
                          <summary>
                            Show<span className="visually-hidden"> details of {e.action} at {formatInstant(e.at, zone)}</span>
                          </summary>
                          <dl className="details small">
                            <dt>Entry id</dt>
                            <dd>
                              <code>{e.auditId}</code>
                            </dd>
                            <dt>Subject</dt>
                            <dd>
                              <code>{e.subjectId}</code>
                            </dd>
                            <dt>Actor</dt>
                            <dd>
                              {actors[e.actorId] ? `${actors[e.actorId]!.name}, ` : null}
                              <code>{e.actorId}</code>
                            </dd>
                            {e.chain ? (
                              <>
                                <dt>Hash</dt>
                                <dd>
                                  <code className="wrap">{e.chain.hash}</code>
                                </dd>
                              </>
                            ) : null}
                          </dl>
                          {e.details !== undefined && e.details !== null ? <pre className="json">{JSON.stringify(e.details, null, 2)}</pre> : null}
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <ShowMore paged={paged} what="entries" label="Load more" />
        </>
      ) : null}
    </section>
  );
}

/** Who acted: their name where the API knows it, else the id; either narrows the search to them (by id). */
function ActorCell({ entry: e, actors, onFilter }: { entry: Entry; actors: Actors; onFilter: (f: Partial<Filters>) => void }) {
  const name = actors[e.actorId]?.name;
  return (
    <>
      <FilterLink label={`show only entries by ${name ?? e.actorId}`} onClick={() => onFilter({ actor: e.actorId, appointmentId: "" })}>
        {name ?? <code>{shortId(e.actorId)}</code>}
      </FilterLink>
      <div className="muted small">
        {e.actorRole}
        {name ? (
          <>
            {" · "}
            <code title={e.actorId}>{shortId(e.actorId)}</code>
          </>
        ) : null}
      </div>
    </>
  );
}

/** A button that looks like a link: it narrows the search. */
function FilterLink({ label, onClick, children }: { label: string; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className="link" onClick={onClick} title={label}>
      {children}
      <span className="visually-hidden">: {label}</span>
    </button>
  );
}

function formatInstant(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium", timeZone }).format(Date.parse(instant));
}
