/**
 * The metrics dashboard's charts (recharts; loaded with the admin pages only). Each chart is a
 * section with its heading, a one-sentence summary (the chart's description), the chart —
 * focusable; arrow keys move its tooltip from day to day — and the same numbers as a table
 * under "Show as table", its text alternative.
 */
import { useId, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";

/** The colours of the stylesheet's variables (SVG attributes cannot read CSS variables). */
const COLOURS = { primary: "#0b5394", danger: "#a4161a", ok: "#1e6b34", ink: "#1a1a1a", grid: "#d0d0d0" };

export interface DayPoint {
  day: string;
  bookings: number;
  cancellations: number;
  noShows: number;
  fulfilled: number;
  utilisationPercent: number | null;
  bookedMinutes: number;
  availableMinutes: number;
}

const shortDay = (day: string) =>
  new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" }).format(Date.parse(`${day}T00:00:00Z`));
const longDay = (day: string) =>
  new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(
    Date.parse(`${day}T00:00:00Z`),
  );
const hours = (minutes: number) => `${Math.round((minutes / 60) * 10) / 10} h`;

function busiest(days: DayPoint[], key: "bookings" | "noShows"): DayPoint | undefined {
  return days.reduce<DayPoint | undefined>((best, d) => (d[key] > (best?.[key] ?? 0) ? d : best), undefined);
}

function ChartSection(props: { title: string; summary: string; chart: (desc: string) => ReactNode; table: ReactNode; name: string }) {
  const id = useId();
  return (
    <section className="chart" aria-labelledby={`${id}-h`} data-chart={props.name}>
      <h3 id={`${id}-h`}>{props.title}</h3>
      <p className="muted" id={`${id}-summary`}>
        {props.summary}
      </p>
      <div className="chart-box">{props.chart(props.summary)}</div>
      <details className="as-table">
        <summary>
          Show as table<span className="visually-hidden">: {props.title}</span>
        </summary>
        <div className="table-wrap" tabIndex={0} role="region" aria-label={`${props.title}, as a table`}>
          {props.table}
        </div>
      </details>
    </section>
  );
}

/** The chart's numbers: a row per day, a column per `columns` entry (its heading, its cell). */
function DayTable({ caption, days, columns }: { caption: string; days: DayPoint[]; columns: Array<[string, (d: DayPoint) => ReactNode]> }) {
  return (
    <table className="data compact">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Day</th>
          {columns.map(([heading]) => (
            <th key={heading} scope="col">
              {heading}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {days.map((d) => (
          <tr key={d.day} data-day={d.day}>
            <th scope="row">{longDay(d.day)}</th>
            {columns.map(([heading, cell]) => (
              <td key={heading}>{cell(d)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const axisTick = { fill: COLOURS.ink, fontSize: 12 };
const chartStyle = { width: "100%", height: 260 };
const margin = { top: 8, right: 16, bottom: 0, left: 0 };

type Counted = "bookings" | "cancellations" | "noShows" | "fulfilled";

/** Two counts per day as bars side by side; the table has the same columns as the legend. */
function DailyBars(props: { name: string; title: string; summary: string; caption: string; days: DayPoint[]; bars: Array<{ key: Counted; name: string; colour: string }> }) {
  return (
    <ChartSection
      name={props.name}
      title={props.title}
      summary={props.summary}
      chart={(desc) => (
        <BarChart data={props.days} responsive style={chartStyle} margin={margin} title={props.caption} desc={desc}>
          <CartesianGrid stroke={COLOURS.grid} vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={axisTick} minTickGap={16} />
          <YAxis allowDecimals={false} tick={axisTick} width={40} />
          <Tooltip labelFormatter={(d) => longDay(String(d))} />
          <Legend />
          {props.bars.map((b) => (
            <Bar key={b.key} dataKey={b.key} name={b.name} fill={b.colour} isAnimationActive={false} />
          ))}
        </BarChart>
      )}
      table={<DayTable caption={props.caption} days={props.days} columns={props.bars.map((b) => [b.name, (d: DayPoint) => d[b.key]])} />}
    />
  );
}

export function BookingsChart({ days }: { days: DayPoint[] }) {
  const total = days.reduce((s, d) => s + d.bookings, 0);
  const cancelled = days.reduce((s, d) => s + d.cancellations, 0);
  const top = busiest(days, "bookings");
  const summary =
    total === 0 && cancelled === 0
      ? "No bookings in this range."
      : `${total} bookings and ${cancelled} cancellations${top ? `; the busiest day is ${longDay(top.day)} with ${top.bookings}` : ""}.`;
  return (
    <DailyBars
      name="bookings"
      title="Bookings per day"
      summary={summary}
      caption="Bookings and cancellations per day"
      days={days}
      bars={[
        { key: "bookings", name: "Bookings", colour: COLOURS.primary },
        { key: "cancellations", name: "Cancellations", colour: COLOURS.danger },
      ]}
    />
  );
}

export function UtilisationChart({ days }: { days: DayPoint[] }) {
  const known = days.filter((d) => d.utilisationPercent !== null);
  const average = known.length ? Math.round((known.reduce((s, d) => s + d.utilisationPercent!, 0) / known.length) * 10) / 10 : null;
  const peak = known.reduce<DayPoint | undefined>((best, d) => (d.utilisationPercent! > (best?.utilisationPercent ?? -1) ? d : best), undefined);
  const summary =
    average === null
      ? "No doctor time is offered in this range."
      : `Booked share of the doctors' available time: on average ${average}% on days with doctor time${peak ? `, at most ${peak.utilisationPercent}% on ${longDay(peak.day)}` : ""}. Days without doctor time are left out.`;
  const max = Math.max(100, ...known.map((d) => d.utilisationPercent!));
  return (
    <ChartSection
      name="utilisation"
      title="Utilisation per day"
      summary={summary}
      chart={(desc) => (
        <LineChart data={days} responsive style={chartStyle} margin={margin} title="Utilisation per day, percent" desc={desc}>
          <CartesianGrid stroke={COLOURS.grid} vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={axisTick} minTickGap={16} />
          <YAxis domain={[0, Math.ceil(max / 10) * 10]} unit="%" tick={axisTick} width={48} />
          <Tooltip labelFormatter={(d) => longDay(String(d))} formatter={(v) => (v === null || v === undefined ? "no doctor time" : `${String(v)}%`)} />
          <Line
            dataKey="utilisationPercent"
            name="Utilisation"
            stroke={COLOURS.primary}
            strokeWidth={2}
            dot={{ r: 3, fill: COLOURS.primary }}
            connectNulls={false}
            isAnimationActive={false}
          />
        </LineChart>
      )}
      table={
        <DayTable
          caption="Utilisation per day"
          days={days}
          columns={[
            ["Utilisation", (d) => (d.utilisationPercent === null ? "—" : `${d.utilisationPercent}%`)],
            ["Booked", (d) => hours(d.bookedMinutes)],
            ["Available", (d) => hours(d.availableMinutes)],
          ]}
        />
      }
    />
  );
}

export function NoShowsChart({ days }: { days: DayPoint[] }) {
  const total = days.reduce((s, d) => s + d.noShows, 0);
  const seen = days.reduce((s, d) => s + d.fulfilled, 0);
  const top = busiest(days, "noShows");
  const summary =
    total === 0
      ? `No no-shows in this range${seen ? `; ${seen} patients were seen` : ""}.`
      : `${total} no-shows and ${seen} patients seen${top ? `; most no-shows on ${longDay(top.day)} (${top.noShows})` : ""}.`;
  return (
    <DailyBars
      name="no-shows"
      title="No-shows per day"
      summary={summary}
      caption="No-shows and patients seen per day"
      days={days}
      bars={[
        { key: "noShows", name: "No-shows", colour: COLOURS.danger },
        { key: "fulfilled", name: "Seen", colour: COLOURS.ok },
      ]}
    />
  );
}
