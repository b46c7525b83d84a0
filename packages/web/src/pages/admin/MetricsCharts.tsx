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

const axisTick = { fill: COLOURS.ink, fontSize: 12 };
const chartStyle = { width: "100%", height: 260 };
const margin = { top: 8, right: 16, bottom: 0, left: 0 };

export function BookingsChart({ days }: { days: DayPoint[] }) {
  const total = days.reduce((s, d) => s + d.bookings, 0);
  const cancelled = days.reduce((s, d) => s + d.cancellations, 0);
  const top = busiest(days, "bookings");
  const summary =
    total === 0 && cancelled === 0
      ? "No bookings in this range."
      : `${total} bookings and ${cancelled} cancellations${top ? `; the busiest day is ${longDay(top.day)} with ${top.bookings}` : ""}.`;
  return (
    <ChartSection
      name="bookings"
      title="Bookings per day"
      summary={summary}
      chart={(desc) => (
        <BarChart data={days} responsive style={chartStyle} margin={margin} title="Bookings and cancellations per day" desc={desc}>
          <CartesianGrid stroke={COLOURS.grid} vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={axisTick} minTickGap={16} />
          <YAxis allowDecimals={false} tick={axisTick} width={40} />
          <Tooltip labelFormatter={(d) => longDay(String(d))} />
          <Legend />
          <Bar dataKey="bookings" name="Bookings" fill={COLOURS.primary} isAnimationActive={false} />
          <Bar dataKey="cancellations" name="Cancellations" fill={COLOURS.danger} isAnimationActive={false} />
        </BarChart>
      )}
      table={
        <table className="data compact">
          <caption>Bookings and cancellations per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Bookings</th>
              <th scope="col">Cancellations</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day} data-day={d.day}>
                <th scope="row">{longDay(d.day)}</th>
                <td>{d.bookings}</td>
                <td>{d.cancellations}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
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
        <table className="data compact">
          <caption>Utilisation per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Utilisation</th>
              <th scope="col">Booked</th>
              <th scope="col">Available</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day} data-day={d.day}>
                <th scope="row">{longDay(d.day)}</th>
                <td>{d.utilisationPercent === null ? "—" : `${d.utilisationPercent}%`}</td>
                <td>{hours(d.bookedMinutes)}</td>
                <td>{hours(d.availableMinutes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
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
    <ChartSection
      name="no-shows"
      title="No-shows per day"
      summary={summary}
      chart={(desc) => (
        <BarChart data={days} responsive style={chartStyle} margin={margin} title="No-shows and patients seen per day" desc={desc}>
          <CartesianGrid stroke={COLOURS.grid} vertical={false} />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={axisTick} minTickGap={16} />
          <YAxis allowDecimals={false} tick={axisTick} width={40} />
          <Tooltip labelFormatter={(d) => longDay(String(d))} />
          <Legend />
          <Bar dataKey="noShows" name="No-shows" fill={COLOURS.danger} isAnimationActive={false} />
          <Bar dataKey="fulfilled" name="Seen" fill={COLOURS.ok} isAnimationActive={false} />
        </BarChart>
      )}
      table={
        <table className="data compact">
          <caption>No-shows and patients seen per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">No-shows</th>
              <th scope="col">Seen</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day} data-day={d.day}>
                <th scope="row">{longDay(d.day)}</th>
                <td>{d.noShows}</td>
                <td>{d.fulfilled}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}
