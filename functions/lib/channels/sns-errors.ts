/**
 * SNS Publish errors, shared by SMS and push. Permanent: the request names something that does
 * not work — a malformed number or payload, an opted-out phone, a disabled endpoint (the app
 * was uninstalled or its token expired), a disabled platform application, missing permissions
 * or keys. Transient: throttling and SNS's own failures.
 */
import type { ErrorRules } from "./adapter";

export const snsErrorRules: ErrorRules = {
  permanent: new Set([
    "InvalidParameterException",
    "InvalidParameterValueException",
    "ValidationException",
    "OptedOutException",
    "EndpointDisabledException",
    "PlatformApplicationDisabledException",
    "NotFoundException",
    "AuthorizationErrorException",
    "InvalidSecurityException",
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSNotFoundException",
    "KMSOptInRequired",
  ]),
  transient: new Set(["ThrottledException", "InternalErrorException", "KMSThrottlingException"]),
};
