import { toUtcIso } from "../schedule/slots";
import { CLAIM_UNIT_MS } from "../schedule/types";

/**
 * Claims make double booking impossible: one item per (resource, 5-minute unit), created with
 * `attribute_not_exists` inside the booking transaction. A doctor claims the appointment plus
 * its buffers; a patient claims the appointment itself (a patient cannot be in two places).
 */
export const doctorResource = (doctorId: string) => `doctor#${doctorId}`;
export const patientResource = (patientId: string) => `patient#${patientId}`;

/** Claims are kept a week past their unit, then DynamoDB TTL removes them. */
const CLAIM_TTL_SECONDS = 7 * 24 * 3600;

/** The unit starts covering [start, end); both ends are on the unit grid by construction. */
export function claimUnits(start: number, end: number): string[] {
  if (start % CLAIM_UNIT_MS !== 0 || end % CLAIM_UNIT_MS !== 0) {
    throw new Error(`claim range ${start}..${end} is not on the ${CLAIM_UNIT_MS} ms grid`);
  }
  const units: string[] = [];
  for (let t = start; t < end; t += CLAIM_UNIT_MS) units.push(toUtcIso(t));
  return units;
}

export interface ClaimKey {
  resource: string;
  unit: string;
}

export interface ClaimPlan {
  doctor: ClaimKey[];
  patient: ClaimKey[];
}

export function planClaims(args: {
  doctorId: string;
  patientId: string;
  blockStart: number;
  blockEnd: number;
  start: number;
  end: number;
}): ClaimPlan {
  const doctor = doctorResource(args.doctorId);
  const patient = patientResource(args.patientId);
  return {
    doctor: claimUnits(args.blockStart, args.blockEnd).map((unit) => ({ resource: doctor, unit })),
    patient: claimUnits(args.start, args.end).map((unit) => ({ resource: patient, unit })),
  };
}

export function claimExpiry(blockEnd: number): number {
  return Math.floor(blockEnd / 1000) + CLAIM_TTL_SECONDS;
}

const keyOf = (c: ClaimKey) => `${c.resource}|${c.unit}`;

/** Claims to take and to release when an appointment moves from `before` to `after`;
 * units held in both stay untouched (a transaction may not touch one item twice). */
export function diffClaims(before: ClaimKey[], after: ClaimKey[]) {
  const beforeKeys = new Set(before.map(keyOf));
  const afterKeys = new Set(after.map(keyOf));
  return {
    take: after.filter((c) => !beforeKeys.has(keyOf(c))),
    release: before.filter((c) => !afterKeys.has(keyOf(c))),
  };
}
