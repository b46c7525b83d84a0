import { getRegionSettings, updateRegionSettings } from "@carebook/core/admin/region";
import { regionSettingsView } from "@carebook/core/admin/schemas";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { catalogWrite, regionId } from "./manage-common";

export const get = httpHandler("GET /api/admin/region", async () => {
  return json(200, regionSettingsView(await getRegionSettings(dynamo().db, regionId())));
});

export const update = httpHandler("PUT /api/admin/region", async (request) => {
  const { region, changed } = await updateRegionSettings(dynamo().db, { ...catalogWrite(request), update: request.body });
  return json(200, { region: regionSettingsView(region), changed });
});
