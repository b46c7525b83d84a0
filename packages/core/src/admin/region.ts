/**
 * The region's settings: its name, the default time zone (of patients who set none), how
 * long ended appointments stay before they are archived, and the default reminder times.
 * Audited on the region's chain (REGION_AUDIT_CLINIC_ID), subjectType "region".
 *
 * Where a change shows: reminders planned from then on; the retention of appointments that end
 * from then on (archive/retention.ts caches it per container for up to 5 minutes); the time
 * zone of messages sent from then on. Nothing already scheduled is recomputed.
 */
import { auditEntryItem, REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import type { Db, Region } from "../entities";
import { NotFoundError } from "../errors";
import {
  applyUpdate,
  changedMeanwhile,
  changesOf,
  checkExpected,
  commitChange,
  nextUpdatedAt,
  patchOf,
  unchangedSince,
  type CatalogWrite,
} from "./change";
import { REGION_FIELDS, type UpdateRegion } from "./schemas";

export async function getRegionSettings(db: Db, regionId: string, consistent = false): Promise<Region> {
  const { data } = await db.region.get({ regionId }).go({ consistent });
  if (!data) throw new NotFoundError("Region", { regionId });
  return data;
}

export async function updateRegionSettings(db: Db, input: CatalogWrite & { update: UpdateRegion }): Promise<{ region: Region; changed: string[] }> {
  const current = await getRegionSettings(db, input.regionId, true);
  checkExpected(current, input.update.expectedUpdatedAt);
  const next = applyUpdate(current, input.update, REGION_FIELDS);
  const change = changesOf(current, next, REGION_FIELDS);
  if (change.fields.length === 0) return { region: current, changed: [] };

  const updatedAt = nextUpdatedAt(current.updatedAt, input.now);
  const { set } = patchOf(change);
  await commitChange(
    db,
    (tx) => [
      tx.region.patch({ regionId: current.regionId }).set({ ...set, updatedAt }).where(unchangedSince(current.updatedAt)).commit(),
      auditEntryItem(tx, { type: "region", id: current.regionId, clinicId: REGION_AUDIT_CLINIC_ID }, "region.updated", input.actor, input.now, {
        before: change.before,
        after: change.after,
      }),
    ],
    () => changedMeanwhile(),
  );
  return { region: { ...next, updatedAt }, changed: change.fields };
}
