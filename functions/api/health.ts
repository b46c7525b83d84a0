import { json, publicHandler } from "../lib/http";

export const handler = publicHandler(async () => json(200, { status: "ok", service: "carebook" }));
