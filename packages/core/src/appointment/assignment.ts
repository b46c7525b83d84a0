/**
 * Choosing a doctor for the patient, deterministically and explainably.
 *
 * Candidates are the doctors free and qualified for the requested start. They are ordered by:
 *   0. the doctor already on the appointment (reschedule keeps who you had, if free);
 *   1. continuity — a doctor this patient saw before, most recent first;
 *   2. language — a doctor who speaks the patient's preferred language;
 *   3. load — fewest appointments that local day;
 *   4. doctor id — so equal candidates always come out in the same order.
 * The first candidate wins; the others are the fallbacks when the winner is lost to a race.
 */
export interface AssignmentCandidate {
  doctorId: string;
  name: string;
  languages: readonly string[];
}

export interface AssignmentContext {
  preferredLanguage: string;
  /** Doctors this patient saw before, most recent first. */
  seenDoctorIds: readonly string[];
  /** Appointments per doctor on the local day of the requested start. */
  loadByDoctor: ReadonlyMap<string, number>;
  /** On reschedule: the doctor the appointment has now. */
  currentDoctorId?: string;
}

export type AssignmentRule = "kept" | "continuity" | "language" | "least-loaded";

export interface RankedDoctor extends AssignmentCandidate {
  rule: AssignmentRule;
  explanation: string;
  load: number;
}

function speaks(candidate: AssignmentCandidate, language: string): boolean {
  const wanted = language.toLowerCase().split("-")[0];
  return candidate.languages.some((l) => l.toLowerCase().split("-")[0] === wanted);
}

export function rankDoctors(
  candidates: readonly AssignmentCandidate[],
  context: AssignmentContext,
): RankedDoctor[] {
  const recency = new Map(context.seenDoctorIds.map((id, index) => [id, index]));
  const total = candidates.length;
  const scored = candidates.map((c) => {
    const load = context.loadByDoctor.get(c.doctorId) ?? 0;
    const kept = c.doctorId === context.currentDoctorId;
    const seen = recency.get(c.doctorId);
    const language = speaks(c, context.preferredLanguage);
    let rule: AssignmentRule;
    let explanation: string;
    if (kept) {
      rule = "kept";
      explanation = `${c.name} stays your doctor: free at the new time`;
    } else if (seen !== undefined) {
      rule = "continuity";
      explanation = `${c.name} saw you before`;
    } else if (language) {
      rule = "language";
      explanation = `${c.name} speaks your preferred language (${context.preferredLanguage})`;
    } else {
      rule = "least-loaded";
      explanation = `${c.name} has the fewest appointments that day (${load}) among ${total} free doctors`;
    }
    return {
      ...c,
      rule,
      explanation,
      load,
      key: [kept ? 0 : 1, seen ?? Number.MAX_SAFE_INTEGER, language ? 0 : 1, load] as const,
    };
  });
  scored.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const d = a.key[i]! - b.key[i]!;
      if (d !== 0) return d;
    }
    return a.doctorId < b.doctorId ? -1 : a.doctorId > b.doctorId ? 1 : 0;
  });
  return scored.map(({ key: _key, ...rest }) => rest);
}
