import { leaveView, requestLeave } from "@carebook/core/staff/leave";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** A doctor or nurse asks for leave; an admin of their clinics decides. */
export const handler = httpHandler(
  "POST /api/staff/leave",
  async ({ body, caller, now }) => {
    const leave = await requestLeave(dynamo().db, { staff: caller.staff!, role: caller.role as "doctor" | "nurse", ...body, now });
    return json(201, leaveView(leave));
  },
  { idempotent: true },
);
