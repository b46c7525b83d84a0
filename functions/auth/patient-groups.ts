/**
 * Pre-token-generation trigger (event version 2) of the patients pool: every token it issues
 * says `cognito:groups: ["patient"]`, in the id and the access token.
 *
 * Patients sign themselves up and so join no group, but routes are granted by group
 * (functions/lib/auth.ts); setting the group here needs no AdminAddUserToGroup call at sign-up,
 * and replacing (not adding to) whatever groups the user has means a patients-pool token can
 * never carry a staff group, whatever someone creates in that pool.
 */
import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { poolGroups } from "./pools";

export async function handler(event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> {
  event.response = {
    ...event.response,
    claimsAndScopeOverrideDetails: {
      ...event.response?.claimsAndScopeOverrideDetails,
      groupOverrideDetails: { groupsToOverride: [...poolGroups.patients] },
    },
  };
  return event;
}
