/**
 * Verifying the audit hash chains (see ./chain.ts): every link's hash against its content,
 * every link against the one before it, every chained entry against the hash its link holds,
 * the head against the last link — and every entry of the clinic against the chain, so an
 * entry that was never chained (or whose link was removed) shows too.
 *
 * Which chains: the clinic-days registered (auditChainDay) in the range, plus — for every
 * clinic checked — the days on which it has audit entries (byClinic), so a clinic-day whose
 * chain items were all removed is still found by its entries.
 *
 * What a hash chain cannot show: someone able to write the table can rewrite a whole chain
 * consistently (or remove a clinic-day's entries together with its chain). Anchoring the
 * heads outside the table (e.g. a daily digest to write-once storage) closes that; it is not
 * done here.
 */
import type { AuditChainLink, AuditEntry, Db } from "../entities";
import { compareStrings, forEachLimit, getAllByKeys } from "./batch";
import { chainDay, entryHash, genesisHash, linkHash } from "./hash";

export type ChainProblemKind = "entry-modified" | "entry-missing" | "link-broken" | "seq-gap" | "head-mismatch" | "unchained";

export interface ChainProblem {
  clinicId: string;
  day: string;
  seq?: number;
  auditId?: string;
  kind: ChainProblemKind;
  message: string;
}

export interface VerifyOptions {
  /** Only these clinics. Default: every clinic with a chain in the range. */
  clinicIds?: string[];
  /** First UTC day (yyyy-mm-dd, or an instant: its day). Default: the beginning. */
  from?: string;
  /** Last UTC day, inclusive. Default: no end. */
  to?: string;
  now?: number;
  /** An entry younger than this may not be chained yet: counted as pending, not a problem. Default 15 min. */
  graceMs?: number;
}

export interface VerifyResult {
  ok: boolean;
  /** Clinic-days checked. */
  chains: number;
  /** Links checked. */
  links: number;
  /** Entries not chained yet, but within the grace period. */
  pending: number;
  problems: ChainProblem[];
}

export const DEFAULT_GRACE_MS = 15 * 60_000;
const CONCURRENCY = 4;

const dayOf = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? value : chainDay(value));
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
const short = (hash: string | undefined) => (hash ? hash.slice(0, 12) : "none");

export async function verifyChains(db: Db, options: VerifyOptions = {}): Promise<VerifyResult> {
  const fromDay = options.from ? dayOf(options.from) : undefined;
  const toDay = options.to ? dayOf(options.to) : undefined;
  const now = options.now ?? Date.now();
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const result: VerifyResult = { ok: true, chains: 0, links: 0, pending: 0, problems: [] };

  const wanted = options.clinicIds ? new Set(options.clinicIds) : undefined;
  const registered = (await registeredDays(db, fromDay, toDay)).filter((r) => !wanted || wanted.has(r.clinicId));
  const clinics = [...new Set([...(options.clinicIds ?? []), ...registered.map((r) => r.clinicId)])].sort(compareStrings);

  for (const clinicId of clinics) {
    const entries = await entriesOfClinic(db, clinicId, fromDay, toDay);
    const started = new Set(registered.filter((r) => r.clinicId === clinicId).map((r) => r.day));
    const days = new Set([...started, ...entries.map((e) => chainDay(e.at))]);

    const chained = new Set<string>();
    await forEachLimit([...days].sort(compareStrings), CONCURRENCY, async (day) => {
      const checked = await verifyDay(db, clinicId, day, started.has(day));
      result.chains += 1;
      result.links += checked.links;
      result.problems.push(...checked.problems);
      for (const auditId of checked.auditIds) chained.add(auditId);
    });

    const orphans = entries.filter((e) => !chained.has(e.auditId));
    const marks = await getAllByKeys(
      (keys) => db.auditChainMark.get(keys).go(),
      orphans.map((e) => ({ auditId: e.auditId })),
    );
    const markOf = new Map(marks.map((m) => [m.auditId, m]));
    for (const entry of orphans) {
      const day = chainDay(entry.at);
      const mark = markOf.get(entry.auditId);
      if (mark) {
        result.problems.push({
          clinicId, day, seq: mark.seq, auditId: entry.auditId, kind: "link-broken",
          message: `entry ${entry.auditId} was chained as seq ${mark.seq} of ${mark.day}, but no link of that chain holds it`,
        });
      } else if (Date.parse(entry.at) < now - graceMs) {
        result.problems.push({
          clinicId, day, auditId: entry.auditId, kind: "unchained",
          message: `entry ${entry.auditId} (${entry.action} at ${entry.at}) was never chained`,
        });
      } else {
        result.pending += 1;
      }
    }
  }

  result.problems.sort(
    (a, b) => compareStrings(a.clinicId, b.clinicId) || compareStrings(a.day, b.day) || (a.seq ?? 0) - (b.seq ?? 0),
  );
  result.ok = result.problems.length === 0;
  return result;
}

async function registeredDays(db: Db, fromDay?: string, toDay?: string) {
  const query = db.auditChainDay.query.byDay({});
  // Sort keys are day#clinic: a bound on the day alone, with the next day as an exclusive end.
  const ranged =
    fromDay && toDay
      ? query.between({ day: fromDay }, { day: nextDay(toDay) })
      : fromDay
        ? query.gte({ day: fromDay })
        : toDay
          ? query.lt({ day: nextDay(toDay) })
          : query;
  const { data } = await ranged.go({ pages: "all" });
  return data.filter((r) => (!fromDay || r.day >= fromDay) && (!toDay || r.day <= toDay));
}

async function entriesOfClinic(db: Db, clinicId: string, fromDay?: string, toDay?: string): Promise<AuditEntry[]> {
  const query = db.auditEntry.query.byClinic({ clinicId });
  const from = fromDay && `${fromDay}T00:00:00.000Z`;
  const until = toDay && `${nextDay(toDay)}T00:00:00.000Z`;
  const ranged = from && until ? query.between({ at: from }, { at: until }) : from ? query.gte({ at: from }) : until ? query.lt({ at: until }) : query;
  const { data } = await ranged.go({ pages: "all" });
  return data.filter((e) => (!from || e.at >= from) && (!until || e.at < until));
}

/** One clinic-day: links in seq order, their entries, the head. */
async function verifyDay(db: Db, clinicId: string, day: string, started: boolean) {
  const problems: ChainProblem[] = [];
  const problem = (kind: ChainProblemKind, message: string, seq?: number, auditId?: string) =>
    problems.push({ clinicId, day, seq, auditId, kind, message });

  const [{ data: links }, { data: head }] = await Promise.all([
    db.auditChainLink.query.byChain({ clinicId, day }).go({ pages: "all", consistent: true }),
    db.auditChainHead.get({ clinicId, day }).go({ consistent: true }),
  ]);
  links.sort((a, b) => a.seq - b.seq);
  // One key per entry: an entry chained twice (reported below) must not make BatchGetItem
  // refuse the request for duplicate keys.
  const entryKeys = new Map(links.map((l) => [l.auditId, { subjectType: l.subjectType, subjectId: l.subjectId, at: l.at, auditId: l.auditId }]));
  const entries = await getAllByKeys((keys) => db.auditEntry.get(keys).go(), [...entryKeys.values()]);
  const entryOf = new Map(entries.map((e) => [e.auditId, e]));

  const auditIds = new Set<string>();
  let previous: AuditChainLink | undefined;
  for (const link of links) {
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (link.seq !== expectedSeq) {
      const range = link.seq - 1 === expectedSeq ? `${expectedSeq}` : `${expectedSeq}–${link.seq - 1}`;
      problem("seq-gap", `link(s) ${range} missing before seq ${link.seq}`, expectedSeq);
    }
    if (linkHash(link) !== link.hash) problem("link-broken", `link ${link.seq} was altered: its hash does not match its content`, link.seq, link.auditId);
    const expectedPrev = link.seq === 1 ? genesisHash(clinicId, day) : previous?.seq === link.seq - 1 ? previous.hash : undefined;
    if (expectedPrev !== undefined && link.prevHash !== expectedPrev) {
      problem("link-broken", `link ${link.seq} does not follow ${link.seq === 1 ? "the genesis" : `link ${link.seq - 1}`}: prevHash ${short(link.prevHash)} ≠ ${short(expectedPrev)}`, link.seq, link.auditId);
    }
    if (auditIds.has(link.auditId)) problem("link-broken", `entry ${link.auditId} is chained twice (again at seq ${link.seq})`, link.seq, link.auditId);
    auditIds.add(link.auditId);

    const entry = entryOf.get(link.auditId);
    if (!entry) problem("entry-missing", `entry ${link.auditId} (seq ${link.seq}) is gone`, link.seq, link.auditId);
    else if (entryHash(entry) !== link.entryHash) problem("entry-modified", `entry ${link.auditId} (seq ${link.seq}, ${entry.action}) was modified after it was chained`, link.seq, link.auditId);
    previous = link;
  }

  const last = links[links.length - 1];
  if (!head && last) {
    problem("head-mismatch", `the chain has ${links.length} link(s) up to seq ${last.seq} but no head`);
  } else if (head && !last) {
    problem("head-mismatch", `the head says seq ${head.seq}, but the chain has no links`, head.seq);
  } else if (head && last && (head.seq !== last.seq || head.hash !== last.hash)) {
    const why = head.seq > last.seq ? `links after seq ${last.seq} are missing (tail truncated)` : head.seq < last.seq ? `links beyond the head exist (head lowered?)` : `the hashes differ`;
    problem("head-mismatch", `head (seq ${head.seq}, ${short(head.hash)}) ≠ last link (seq ${last.seq}, ${short(last.hash)}): ${why}`, head.seq);
  } else if (!head && !last && started) {
    problem("head-mismatch", "the chain was started, but its head and links are gone");
  }
  return { links: links.length, auditIds, problems };
}
