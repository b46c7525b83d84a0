/**
 * `$connect`, after the authorizer accepted the token: registers the connection with its
 * caller — sub, roles, and for doctors, nurses and admins with an active staff record, that
 * record's clinics — in its user's topic and its clinics'.
 */
import { registerConnection } from "@carebook/core/realtime/connections";
import { clinicRoles } from "@carebook/core/realtime/topics";
import { loadStaffMember, rolesOfIdentity } from "../lib/auth";
import { readConnectionAuthorizerContext } from "../lib/authorizer-context";
import { dynamo } from "../lib/env";
import { logger } from "../lib/logger";
import { reply, websocketHandler } from "../lib/websocket";

export const handler = websocketHandler(async (event) => {
  const caller = readConnectionAuthorizerContext(event.requestContext);
  // Only reachable through the authorizer; without its context, refuse rather than guess.
  if (!caller) return reply(undefined, 401);
  const { db } = dynamo();
  const roles = rolesOfIdentity({ sub: caller.sub, groups: caller.groups.split(" ").filter(Boolean), pool: caller.pool });
  // The token's clinic roles that the staff record also holds (as routes require, lib/auth.ts).
  const staff = roles.some((role) => clinicRoles.includes(role)) ? await loadStaffMember(db, caller.sub) : undefined;
  const clinicIds = staff?.active && staff.roles.some((role) => clinicRoles.includes(role) && (roles as string[]).includes(role)) ? staff.clinicIds : [];
  await registerConnection(db, { connectionId: event.requestContext.connectionId, sub: caller.sub, roles, clinicIds, now: Date.now() });
  logger.info("connected", { roles, clinics: clinicIds.length });
  return reply();
});
