/**
 * A doctor's working hours: the weekly template (one or more ranges per weekday) and date
 * exceptions (other hours, or not working). Saving is conditional on the version shown; a change
 * that would strand booked appointments is answered with them, and can then be saved with
 * re-assignment (other doctors, or the patients asked to choose another time).
 */
import { useEffect, useId, useState } from "react";
import { ApiError, type ResponseOf } from "../../api/client";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { useSession } from "../../session";

type Availability = ResponseOf<"GET /api/staff/availability">;
type Template = Availability["template"];
type Weekday = keyof Template;
type Range = { start: string; end: string };
type Change = { template?: Template; overrides?: Array<{ date: string; intervals: Range[] }>; removeOverrides?: string[] };

const dayNames: Record<Weekday, string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

export function AvailabilityPage() {
  const { call } = useSession();
  const ids = useId();
  const loaded = useLoad((signal) => call("GET /api/staff/availability", { signal }), [call]);
  const [template, setTemplate] = useState<Template>();
  const [overrideDate, setOverrideDate] = useState("");
  const [overrideRanges, setOverrideRanges] = useState<Range[]>([]);
  /** A change refused because it strands bookings, with them: it may be saved with re-assignment. */
  const [stranded, setStranded] = useState<{ change: Change; appointments: unknown[] }>();
  const [saved, setSaved] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (loaded.data) setTemplate(loaded.data.template);
  }, [loaded.data]);

  const a = loaded.data;
  if (!a || !template) return <Page title="Working hours">{loaded.error ? <ErrorNotice error={loaded.error} /> : <Loading what="your hours" />}</Page>;

  async function save(change: Change, reassign = false) {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const answer = await call("POST /api/staff/availability", { body: { ...change, version: a!.version, reassign } });
      setStranded(undefined);
      const moved = answer.outcome ? ` ${answer.outcome.reassigned.length} appointment(s) moved to other doctors, ${answer.outcome.needsReschedule.length} patient(s) asked to choose another time.` : "";
      setSaved(`Saved.${moved}`);
      await loaded.reload();
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "AVAILABILITY_STRANDS_BOOKINGS") {
        setStranded({ change, appointments: (caught.details as { appointments?: unknown[] } | undefined)?.appointments ?? [] });
      }
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const setDay = (day: Weekday, ranges: Range[]) => setTemplate({ ...template, [day]: ranges });

  return (
    <Page title="Working hours">
      <p className="muted">
        {a.name}. Times are local to your clinic. Approved leave is kept apart from these hours.
      </p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ template });
        }}
      >
        <h2>Every week</h2>
        {(Object.keys(dayNames) as Weekday[]).map((day) => (
          <fieldset key={day}>
            <legend>{dayNames[day]}</legend>
            <Ranges idPrefix={`${ids}-${day}`} label={dayNames[day]} ranges={template[day]} onChange={(r) => setDay(day, r)} />
          </fieldset>
        ))}
        <button type="submit" className="primary" disabled={busy}>
          Save weekly hours
        </button>
      </form>

      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ overrides: [{ date: overrideDate, intervals: overrideRanges }] });
        }}
      >
        <h2>A different day</h2>
        <div className="field">
          <label htmlFor={`${ids}-odate`}>Date</label>
          <input id={`${ids}-odate`} type="date" required value={overrideDate} onChange={(e) => setOverrideDate(e.target.value)} />
        </div>
        <fieldset>
          <legend>Hours that day (none: not working)</legend>
          <Ranges idPrefix={`${ids}-override`} label="that day" ranges={overrideRanges} onChange={setOverrideRanges} />
        </fieldset>
        <button type="submit" disabled={busy}>
          Save this day
        </button>
      </form>

      {a.overrides.length ? (
        <>
          <h2>Days with other hours</h2>
          <ul>
            {a.overrides.map((o) => (
              <li key={o.date}>
                {o.date}: {o.intervals.length ? o.intervals.map((i) => `${i.start}–${i.end}`).join(", ") : "not working"}{" "}
                <button type="button" disabled={busy} onClick={() => void save({ removeOverrides: [o.date] })} aria-label={`Use the weekly hours again on ${o.date}`}>
                  Use weekly hours
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}

      <Notice kind="success">{saved}</Notice>
      <ErrorNotice error={error} />
      {stranded ? (
        <div className="card">
          <p>{stranded.appointments.length} booked appointment(s) fall outside the new hours.</p>
          <button type="button" className="danger" disabled={busy} onClick={() => void save(stranded.change, true)}>
            Save and move those appointments
          </button>
        </div>
      ) : null}
    </Page>
  );
}

function Ranges({ idPrefix, label, ranges, onChange }: { idPrefix: string; label: string; ranges: Range[]; onChange: (ranges: Range[]) => void }) {
  return (
    <div className="stack">
      {ranges.length === 0 ? <p className="muted">Not working.</p> : null}
      {ranges.map((range, i) => (
        <div className="row compact" key={i}>
          <div className="field">
            <label htmlFor={`${idPrefix}-${i}-start`}>From</label>
            <input
              id={`${idPrefix}-${i}-start`}
              type="time"
              required
              value={range.start}
              onChange={(e) => onChange(ranges.map((r, j) => (j === i ? { ...r, start: e.target.value } : r)))}
            />
          </div>
          <div className="field">
            <label htmlFor={`${idPrefix}-${i}-end`}>Until</label>
            <input
              id={`${idPrefix}-${i}-end`}
              type="time"
              required
              value={range.end}
              onChange={(e) => onChange(ranges.map((r, j) => (j === i ? { ...r, end: e.target.value } : r)))}
            />
          </div>
          <button type="button" onClick={() => onChange(ranges.filter((_, j) => j !== i))} aria-label={`Remove ${range.start}–${range.end} on ${label}`}>
            Remove
          </button>
        </div>
      ))}
      <div>
        <button type="button" onClick={() => onChange([...ranges, { start: "09:00", end: "17:00" }])} aria-label={`Add hours on ${label}`}>
          Add hours
        </button>
      </div>
    </div>
  );
}
