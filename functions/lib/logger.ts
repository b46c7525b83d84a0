import { Logger } from "@aws-lambda-powertools/logger";

/** The one structured logger (service name from POWERTOOLS_SERVICE_NAME, level from POWERTOOLS_LOG_LEVEL). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "carebook" });
