import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../functions/openapi";
import { parseRouteKey, routeEntries } from "../../functions/routes";

describe("OpenAPI document", () => {
  const doc = openApiDocument();

  it("describes every route of the route table, and nothing else", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routeEntries().map(([key]) => key).sort());
  });

  it("carries the request schemas the handlers validate with", () => {
    const create = doc.paths["/api/appointments"]!.post as any;
    expect(create.requestBody.content["application/json"].schema.required).toEqual(["typeId", "clinicId", "start"]);
    const slots = doc.paths["/api/appointments/available-slots"]!.get as any;
    expect(slots.parameters.map((p: { name: string }) => p.name)).toEqual(["typeId", "clinicId", "from", "to"]);
    expect(slots.parameters.every((p: { required: boolean }) => p.required)).toBe(true);
    const get = doc.paths["/api/appointments/{id}"]!.get as any;
    expect(get.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    for (const [key, route] of routeEntries()) {
      const { method, path } = parseRouteKey(key);
      const op = (doc.paths as any)[path][method.toLowerCase()];
      expect(op.responses[route.success], key).toBeDefined();
      if (route.roles !== "public") expect(op.responses[401], key).toBeDefined();
    }
  });
});
