import { adminTypeView } from "@carebook/core/admin/schemas";
import {
  createAppointmentType,
  deactivateAppointmentType,
  listAdminTypes,
  reactivateAppointmentType,
  updateAppointmentType,
} from "@carebook/core/admin/types";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { catalogWrite, regionId } from "./manage-common";

export const list = httpHandler("GET /api/admin/types", async () => {
  const types = await listAdminTypes(dynamo().db, regionId());
  return json(200, { types: types.map(adminTypeView) });
});

export const create = httpHandler(
  "POST /api/admin/types",
  async (request) => {
    const type = await createAppointmentType(dynamo().db, { ...catalogWrite(request), type: request.body });
    return json(201, adminTypeView(type));
  },
  { idempotent: true },
);

export const update = httpHandler("PUT /api/admin/types/{typeId}", async (request) => {
  const { type, changed } = await updateAppointmentType(dynamo().db, { ...catalogWrite(request), typeId: request.path.typeId, update: request.body });
  return json(200, { type: adminTypeView(type), changed });
});

export const deactivate = httpHandler("POST /api/admin/types/{typeId}/deactivate", async (request) => {
  const { type, changed } = await deactivateAppointmentType(dynamo().db, { ...catalogWrite(request), typeId: request.path.typeId });
  return json(200, { type: adminTypeView(type), changed });
});

/** Bookable again (409 TYPE_NOT_OFFERABLE when its settings break the type's rules); idempotent. */
export const reactivate = httpHandler("POST /api/admin/types/{typeId}/reactivate", async (request) => {
  const { type, changed } = await reactivateAppointmentType(dynamo().db, { ...catalogWrite(request), typeId: request.path.typeId });
  return json(200, { type: adminTypeView(type), changed });
});
