/**
 * The admin metrics report, read from the (clinic, day) aggregates — one Query per clinic on
 * its partition, never a scan — plus the region's doctors (few) for the available time.
 *
 * Scope: one clinic, or — `clinicId` omitted — every clinic of the region (inactive ones too:
 * their past still counts). Available doctor time comes from the doctors' current weekly
 * templates and date overrides (active doctors only, as slot search offers them); a past range
 * is therefore measured against today's templates. A doctor listed at several clinics offers
 * the whole template at each of them (that is what slot search does), so for one clinic their
 * full time counts; region-wide each doctor counts once, read in the time zone of their first
 * clinic in the region.
 */
import type { Db, Doctor } from "../entities";
import { NotFoundError, ValidationError } from "../errors";
import { scheduleOf } from "../appointment/context";
import type { MetricsDay } from "../entities";
import {
  availableMinutesByDay,
  dayCounters,
  daysBetween,
  emptyRow,
  rangeProblem,
  summarise,
  type DayRow,
  type DoctorAvailability,
  type MetricsSummary,
} from "./report";

export interface MetricsQuery {
  regionId: string;
  /** Omitted: all clinics of the region (of `withinClinics`, when given). */
  clinicId?: string;
  /** The clinics the caller may see; undefined = all. */
  withinClinics?: readonly string[];
  /** Local dates yyyy-mm-dd, both included, at most 366 days. */
  from: string;
  to: string;
}

export interface MetricsReport {
  regionId: string;
  clinicId: string | null;
  from: string;
  to: string;
  totals: MetricsSummary;
  /** Every day of the range, in order (days without activity included, for charts). */
  days: Array<{ day: string } & MetricsSummary>;
}

function rowOf(item: MetricsDay): DayRow {
  const row = emptyRow(item.day);
  for (const c of dayCounters) row[c] = item[c] ?? 0;
  row.leadTimes = item.leadTimes ?? [];
  return row;
}

/** Which doctors offer time, and in which zone, for the clinics asked about. */
function availabilityOf(doctors: Doctor[], clinicZones: Map<string, string>, clinicId: string | undefined): DoctorAvailability[] {
  const out: DoctorAvailability[] = [];
  for (const d of doctors) {
    if (!d.active) continue;
    const home = clinicId !== undefined ? (d.clinicIds.includes(clinicId) ? clinicId : undefined) : d.clinicIds.find((c) => clinicZones.has(c));
    if (home !== undefined) out.push({ schedule: scheduleOf(d), timeZone: clinicZones.get(home)! });
  }
  return out;
}

export async function queryMetrics(db: Db, query: MetricsQuery): Promise<MetricsReport> {
  const problem = rangeProblem(query.from, query.to);
  if (problem) throw new ValidationError("Invalid metrics range", [{ path: "to", message: problem }]);
  const [clinics, doctors] = await Promise.all([
    db.clinic.query.byRegion({ regionId: query.regionId }).go({ pages: "all" }),
    db.doctor.query.byRegion({ regionId: query.regionId }).go({ pages: "all" }),
  ]);
  const visible = clinics.data.filter((c) => !query.withinClinics || query.withinClinics.includes(c.clinicId));
  const zones = new Map(visible.map((c) => [c.clinicId, c.timeZone]));
  if (query.clinicId !== undefined && !zones.has(query.clinicId)) throw new NotFoundError("Clinic", { clinicId: query.clinicId });
  const clinicIds = query.clinicId !== undefined ? [query.clinicId] : [...zones.keys()];

  const pages = await Promise.all(
    clinicIds.map((clinicId) =>
      db.metricsDay.query.byClinicDay({ clinicId }).between({ day: query.from }, { day: query.to }).go({ pages: "all" }),
    ),
  );
  const days = daysBetween(query.from, query.to);
  const rowsByDay = new Map<string, DayRow[]>(days.map((d) => [d, []]));
  for (const item of pages.flatMap((p) => p.data)) rowsByDay.get(item.day)?.push(rowOf(item));

  const available = availableMinutesByDay(availabilityOf(doctors.data, zones, query.clinicId), days);
  const availableTotal = days.reduce((sum, d) => sum + available.get(d)!, 0);
  return {
    regionId: query.regionId,
    clinicId: query.clinicId ?? null,
    from: query.from,
    to: query.to,
    totals: summarise([...rowsByDay.values()].flat(), availableTotal),
    days: days.map((day) => ({ day, ...summarise(rowsByDay.get(day)!, available.get(day)!) })),
  };
}
