/**
 * The metrics dashboard: one of the administrator's clinics, or all of them, between two dates.
 * Totals as tiles, then bookings, utilisation and no-shows per day as charts, each with its
 * numbers as a table too.
 *
 * Every count is kept on the day of the appointment (not the day it was booked), so the default
 * range runs from 30 days back — visits done, no-shows, utilisation as it turned out — to 14
 * days ahead — what is already booked for the next two weeks. The range lives in the address
 * (?clinicId=…&from=…&to=…), so a view can be linked to. The numbers are aggregated from
 * events within seconds; "Refresh" reads them again.
 */
import { useId, useState } from "react";
import { useSearchParams } from "react-router";
import type { ResponseOf } from "../../api/client";
import { ErrorNotice, Loading, Page, useLoad } from "../../components/ui";
import { addDays, browserTimeZone, dateIn, formatDay } from "../../lib/time";
import { useSession } from "../../session";
import { BookingsChart, NoShowsChart, UtilisationChart } from "./MetricsCharts";
import { ClinicOptions, FieldError, FilterForm, fieldProps, invalid, type FieldIssue, useAdminClinics } from "./shared";

type Report = ResponseOf<"GET /api/admin/appointments/metrics">;
type Range = { clinicId: string; from: string; to: string };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;
const FIELDS = ["clinicId", "from", "to"] as const;

export function defaultRange(today: string): { from: string; to: string } {
  return { from: addDays(today, -30), to: addDays(today, 14) };
}

function spanDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

function check(r: Range): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!DATE.test(r.from)) issues.push({ path: "from", message: "Enter the first day" });
  if (!DATE.test(r.to)) issues.push({ path: "to", message: "Enter the last day" });
  if (issues.length) return issues;
  if (r.to < r.from) issues.push({ path: "to", message: "The last day must not be before the first" });
  else if (spanDays(r.from, r.to) > MAX_DAYS) issues.push({ path: "to", message: `At most ${MAX_DAYS} days at once` });
  return issues;
}

export function Metrics() {
  const { call } = useSession();
  const ids = useId();
  const clinics = useAdminClinics();
  const [params, setParams] = useSearchParams();
  const today = dateIn(Date.now(), browserTimeZone());
  const fallback = defaultRange(today);
  const applied: Range = {
    clinicId: params.get("clinicId") ?? "",
    from: params.get("from") ?? fallback.from,
    to: params.get("to") ?? fallback.to,
  };
  const appliedKey = `${applied.clinicId}|${applied.from}|${applied.to}`;
  const [draft, setDraft] = useState<Range>(applied);
  const [shownKey, setShownKey] = useState(appliedKey);
  if (shownKey !== appliedKey) {
    setShownKey(appliedKey);
    setDraft(applied);
  }
  const [error, setError] = useState<unknown>();
  const valid = check(applied).length === 0;

  const report = useLoad(
    (signal) =>
      valid
        ? call("GET /api/admin/appointments/metrics", {
            query: { ...(applied.clinicId ? { clinicId: applied.clinicId } : {}), from: applied.from, to: applied.to },
            signal,
          })
        : Promise.resolve(undefined),
    [call, appliedKey],
  );

  function apply(next: Range) {
    const issues = check(next);
    if (issues.length) return setError(invalid(issues));
    setError(undefined);
    setParams({ ...(next.clinicId ? { clinicId: next.clinicId } : {}), from: next.from, to: next.to });
  }
  const set = (field: keyof Range) => (e: { target: { value: string } }) => setDraft({ ...draft, [field]: e.target.value });
  const field = (path: (typeof FIELDS)[number]) => fieldProps(error, path, `${ids}-${path}`);
  const scope = applied.clinicId ? clinics.clinicName(applied.clinicId) : "All my clinics";

  return (
    <Page title="Metrics">
      <FilterForm
        headingId={`${ids}-range`}
        heading="Clinic and dates"
        headingClassName="visually-hidden"
        error={error}
        fields={FIELDS}
        onSubmit={() => apply(draft)}
      >
        <div className="row">
          <div className="field">
            <label htmlFor={`${ids}-clinicId`}>Clinic</label>
            <select {...field("clinicId")} value={draft.clinicId} onChange={set("clinicId")}>
              <option value="">All my clinics</option>
              <ClinicOptions clinics={clinics.clinics} />
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${ids}-from`}>First day</label>
            <input {...field("from")} type="date" required value={draft.from} onChange={set("from")} />
            <FieldError error={error} path="from" id={`${ids}-from`} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-to`}>Last day</label>
            <input {...field("to")} type="date" required value={draft.to} onChange={set("to")} />
            <FieldError error={error} path="to" id={`${ids}-to`} />
          </div>
          <button type="submit" className="primary">
            Show
          </button>
          <button
            type="button"
            onClick={() => {
              setError(undefined);
              setParams(applied.clinicId ? { clinicId: applied.clinicId } : {});
            }}
          >
            Last 30 days and next 14
          </button>
        </div>
        <p className="hint">Counted on the day of each appointment, in its clinic's time zone: days ahead show what is booked so far.</p>
      </FilterForm>

      <ErrorNotice error={report.error} />
      {report.loading && !report.data ? <Loading what="metrics" /> : null}
      {report.data ? (
        <Dashboard
          report={report.data}
          scope={scope}
          refreshing={report.loading}
          onRefresh={() => void report.reload()}
        />
      ) : null}
    </Page>
  );
}

const pct = (value: number | null) => (value === null ? "—" : `${value}%`);
const hours = (minutes: number) => `${Math.round((minutes / 60) * 10) / 10} h`;

/** "3 days 4 h", "45 min"; lead times are minutes. */
function duration(minutes: number | null): string {
  if (minutes === null) return "—";
  const days = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  if (days >= 2) return `${days} days${h ? ` ${h} h` : ""}`;
  if (minutes >= 60) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${Math.round(minutes % 60)} min` : ""}`;
  return `${Math.round(minutes)} min`;
}

function Dashboard({ report, scope, refreshing, onRefresh }: { report: Report; scope: string; refreshing: boolean; onRefresh: () => void }) {
  const t = report.totals;
  const slaPeriods = t.prescreening.slaMet + t.prescreening.escalations;
  const channels = Object.entries(t.notifications) as Array<[string, { delivered: number; failed: number }]>;
  const channelName: Record<string, string> = { email: "E-mail", sms: "Text message", push: "Push" };
  return (
    <>
      <section aria-labelledby="metrics-totals">
        <div className="section-head">
          <h2 id="metrics-totals">
            {scope}, {formatDay(report.from)} to {formatDay(report.to)}
          </h2>
          <button type="button" onClick={onRefresh} disabled={refreshing}>
            {refreshing ? "Refreshing…" : "Refresh"}
          </button>
        </div>
        <dl className="tiles">
          <Tile label="Bookings" value={t.bookings} note={`${t.holds} held for pre-screening, ${t.holdsReleased} released`} name="bookings" />
          <Tile
            label="Cancellations"
            value={t.cancellations}
            note={t.bookings ? `${Math.round((t.cancellations / t.bookings) * 1000) / 10}% of bookings` : "of booked appointments"}
            name="cancellations"
          />
          <Tile label="No-shows" value={t.noShows} note={`${t.fulfilled} patients seen`} name="no-shows" />
          <Tile
            label="Utilisation"
            value={pct(t.utilisationPercent)}
            note={t.availableMinutes ? `${hours(t.bookedMinutes)} of ${hours(t.availableMinutes)} doctor time booked` : "No doctor time offered"}
            name="utilisation"
          />
          <Tile
            label="Median lead time"
            value={duration(t.leadTime.medianMinutes)}
            note={`from booking to visit, over ${t.leadTime.samples} bookings`}
            name="lead-time"
          />
          <Tile
            label="Pre-screening on time"
            value={pct(t.prescreening.slaMetPercent)}
            note={
              slaPeriods
                ? `${t.prescreening.slaMet} of ${slaPeriods} decided within the target, ${t.prescreening.escalations} escalated`
                : "No pre-screening decisions due"
            }
            name="prescreening-sla"
          />
          <Tile label="Reschedules" value={t.reschedules} note="moved to another time" name="reschedules" />
        </dl>
      </section>

      <section aria-labelledby="metrics-charts">
        <h2 id="metrics-charts">Per day</h2>
        <div className="charts">
          <BookingsChart days={report.days} />
          <UtilisationChart days={report.days} />
          <NoShowsChart days={report.days} />
        </div>
      </section>

      <section aria-labelledby="metrics-notifications">
        <h2 id="metrics-notifications">Notifications</h2>
        <table className="data compact narrow-table">
          <caption className="visually-hidden">Notifications by channel</caption>
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Delivered</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {channels.map(([channel, counts]) => (
              <tr key={channel}>
                <th scope="row">{channelName[channel] ?? channel}</th>
                <td>{counts.delivered}</td>
                <td>{counts.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function Tile({ label, value, note, name }: { label: string; value: number | string; note: string; name: string }) {
  return (
    <div className="tile" data-tile={name}>
      <dt>{label}</dt>
      <dd className="tile-value">{value}</dd>
      <dd className="tile-note">{note}</dd>
    </div>
  );
}
