import { z } from "zod";
import { parseRouteKey, routeEntries } from "./routes";

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
    },
  },
};

const toJsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
};

/** Query or path parameters of an object schema, as OpenAPI parameters. */
function parameters(schema: z.ZodType | undefined, where: "query" | "path") {
  if (!schema) return [];
  const json = toJsonSchema(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}

/** The OpenAPI 3.1 document of the route table: generated from the same zod schemas the handlers validate with. */
export function openApiDocument(serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [routeKey, route] of routeEntries()) {
    const { method, path } = parseRouteKey(routeKey);
    const errors = route.roles === "public" ? {} : { 400: "bad input", 401: "no or invalid token", 403: "role not allowed", 404: "unknown or not yours", 409: "conflict", 422: "business rule" };
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      operationId: routeKey,
      summary: route.description,
      ...(route.roles === "public" ? { security: [] } : { "x-carebook-access": route.roles }),
      parameters: [...parameters(route.request?.path, "path"), ...parameters(route.request?.query, "query")],
      ...(route.request?.body
        ? { requestBody: { required: true, content: { "application/json": { schema: toJsonSchema(route.request.body) } } } }
        : {}),
      responses: {
        [route.success]: { description: "success", content: { "application/json": { schema: {} } } },
        ...Object.fromEntries(
          Object.entries(errors).map(([status, description]) => [status, { description, content: { "application/json": { schema: errorSchema } } }]),
        ),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Carebook API", version: "0.1.0", description: "Appointment scheduling for medical clinics" },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
