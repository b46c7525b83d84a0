/** What the admin catalog handlers (manage-*.ts) hand every change: region, actor, time. */
import type { CatalogWrite } from "@carebook/core/admin/change";
import type { Caller } from "../../lib/auth";
import { env } from "../../lib/env";

export const regionId = () => env("CAREBOOK_REGION_ID");

export function catalogWrite({ caller, now }: { caller: Caller; now: number }): CatalogWrite {
  return { regionId: regionId(), actor: caller.actor, now };
}
