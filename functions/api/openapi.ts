import { json, publicHandler } from "../lib/http";
import { openApiDocument } from "../openapi";

export const handler = publicHandler(async () => json(200, openApiDocument()));
