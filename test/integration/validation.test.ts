import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { routeEntries } from "../../functions/routes";
import { api, newPatient, signIn } from "./harness";

/** Turns "/api/appointments/{id}/cancel" into a concrete path. */
const concrete = (path: string, id = "00000000-0000-4000-8000-000000000000") => path.replace(/\{[^}]+\}/g, id);

const badBodies: Array<[string, string | undefined]> = [
  ["malformed JSON", "{not json"],
  ["JSON array", "[1,2,3]"],
  ["JSON string", '"hello"'],
  ["wrong types", JSON.stringify({ typeId: 7, clinicId: null, start: "yesterday", reason: ["x"] })],
  ["unknown fields", JSON.stringify({ start: "2030-01-07T09:00:00Z", surprise: true })],
  ["huge string", JSON.stringify({ reason: "x".repeat(10_000), start: "2030-01-07T09:00:00Z" })],
  ["empty", undefined],
  ["far future", JSON.stringify({ typeId: "general-consultation", clinicId: "london-central", start: "9999-12-31T09:00:00Z" })],
  ["far past", JSON.stringify({ typeId: "general-consultation", clinicId: "london-central", start: "0001-01-01T09:00:00Z" })],
  ["unknown type", JSON.stringify({ typeId: "nope", clinicId: "london-central", start: "2030-01-07T09:00:00Z" })],
];

const badQueries = [
  "",
  "?typeId=&clinicId=&from=&to=",
  "?typeId=general-consultation&clinicId=london-central&from=2030-02-30&to=2030-03-01",
  "?typeId=general-consultation&clinicId=london-central&from=2030-01-10&to=2030-01-01",
  "?typeId=general-consultation&clinicId=london-central&from=2030-01-01&to=2030-03-01",
  "?typeId=general-consultation&clinicId=london-central&from=9999-12-01&to=9999-12-31",
  "?typeId=general-consultation&clinicId=london-central&from=0000-01-01&to=0000-01-02",
  "?typeId=general-consultation&clinicId=london-central&from=2030-01-01&to=2030-01-01&from=2030-01-02",
  "?limit=0",
  "?limit=abc",
  "?status=maybe",
  "?cursor=not-a-cursor",
  "?from=tomorrow",
  "?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z",
  "?from=2030-01-02T00:00:00%2B05:00&to=2030-01-02T00:00:00Z",
  "?typeId=%00%ff&clinicId=%E2%82&from=x&to=y",
];

function expectClientError(res: { status: number; body: any }, what: string) {
  expect(res.status, `${what} → ${res.status} ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(200);
  expect(res.status, `${what} → ${res.status} ${JSON.stringify(res.body)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.body?.error?.code, what).toEqual(expect.any(String));
    expect(res.body?.error?.message, what).toEqual(expect.any(String));
  }
}

describe("bad input never gets a 5xx", () => {
  let token: string;
  beforeAll(async () => {
    token = (await newPatient("Fuzzer")).token;
  });

  it("every route answers malformed bodies and queries with a JSON 4xx", async () => {
    for (const [routeKey] of routeEntries()) {
      const [method, path] = routeKey.split(" ") as [string, string];
      for (const query of badQueries) {
        const res = await api(method, concrete(path) + query, { token, rawBody: method === "POST" ? "{}" : undefined, headers: { "content-type": "application/json" } });
        expectClientError(res, `${routeKey}${query}`);
      }
      if (method !== "POST") continue;
      for (const [label, raw] of badBodies) {
        const res = await api(method, concrete(path), { token, rawBody: raw, headers: { "content-type": "application/json" } });
        expectClientError(res, `${routeKey} with ${label}`);
        expect(res.status, `${routeKey} with ${label}`).not.toBe(201);
      }
      for (const id of ["%20", "x".repeat(300), "..%2F..%2Fetc", "💥"]) {
        if (!path.includes("{id}")) continue;
        const res = await api(method, concrete(path, id), { token, body: { start: "2030-01-07T09:00:00Z" } });
        expectClientError(res, `${routeKey} with id ${id}`);
      }
    }
  });

  it("explains validation failures: 400 with the field and the reason", async () => {
    const res = await api("POST", "/api/appointments", { token, body: { clinicId: "london-central", start: "next tuesday" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    const fields = res.body.error.details.map((d: { path: string }) => d.path);
    expect(fields).toEqual(expect.arrayContaining(["typeId", "start"]));

    const malformed = await api("POST", "/api/appointments", { token, rawBody: "{", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("MALFORMED_JSON");

    const range = await api("GET", "/api/appointments/available-slots?typeId=general-consultation&clinicId=london-central&from=2030-01-01&to=2030-02-01", { token });
    expect(range.status).toBe(400);
    expect(range.body.error.details[0].message).toMatch(/31 days/);

    const unknownType = await api("GET", "/api/appointments/available-slots?typeId=nope&clinicId=london-central&from=2030-01-01&to=2030-01-02", { token });
    expect(unknownType.status).toBe(404);
  });

  it("answers unknown routes and wrong methods with JSON 404/405", async () => {
    const missing = await api("GET", "/api/nothing-here", { token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toEqual(expect.any(String));
    const wrongMethod = await api("DELETE", "/api/appointments", { token });
    expect(wrongMethod.status).toBe(405);
  });

  it("health answers without a token; everything else needs one", async () => {
    expect((await api("GET", "/health")).status).toBe(200);
    for (const [routeKey, route] of routeEntries()) {
      if (route.roles === "public") continue;
      const [method, path] = routeKey.split(" ") as [string, string];
      const res = await api(method, concrete(path), { body: method === "POST" ? {} : undefined });
      expect(res.status, routeKey).toBe(401);
    }
  });

  it("staff tokens are refused on patient-only routes with 403", async () => {
    const nurse = await signIn("nurse@demo.carebook.test");
    for (const [routeKey, route] of routeEntries()) {
      if (route.roles === "public" || "nurse" in route.roles) continue;
      const [method, path] = routeKey.split(" ") as [string, string];
      const res = await api(method, concrete(path), { token: nurse, body: method === "POST" ? {} : undefined });
      expect(res.status, routeKey).toBe(403);
    }
  });
});

describe("daylight saving", () => {
  it("offers 09:00 local as the first London slot on both sides of the next clock change", async () => {
    const token = (await newPatient("DST")).token;
    // The next change in London at least a week away: the Sunday where the offset differs from the day before.
    // Compare at noon: at midnight on the day of the change the old offset still holds.
    let sunday = DateTime.now().setZone("Europe/London").plus({ weeks: 1 }).set({ hour: 12, minute: 0 });
    for (let i = 0; i < 400 && !(sunday.weekday === 7 && sunday.offset !== sunday.minus({ days: 1 }).offset); i++) {
      sunday = sunday.plus({ days: 1 });
    }
    expect(sunday.weekday).toBe(7);
    const friday = sunday.minus({ days: 2 }).toISODate()!;
    const monday = sunday.plus({ days: 1 }).toISODate()!;
    const res = await api(
      "GET",
      `/api/appointments/available-slots?typeId=follow-up&clinicId=london-central&from=${friday}&to=${monday}`,
      { token },
    );
    expect(res.status).toBe(200);
    const byDay = new Map<string, string[]>();
    for (const s of res.body.slots as Array<{ localStart: string; start: string }>) {
      const date = s.localStart.slice(0, 10);
      byDay.set(date, [...(byDay.get(date) ?? []), s.localStart]);
      expect(s.start.endsWith("Z")).toBe(true);
      expect(Date.parse(s.start)).toBe(Date.parse(s.localStart));
    }
    expect([...byDay.keys()]).toEqual([friday, monday]);
    const fridayFirst = byDay.get(friday)![0]!;
    const mondayFirst = byDay.get(monday)![0]!;
    expect(fridayFirst.slice(11, 16)).toBe("09:00");
    expect(mondayFirst.slice(11, 16)).toBe("09:00");
    expect(fridayFirst.slice(19)).not.toBe(mondayFirst.slice(19)); // the offsets differ
    expect(byDay.get(friday)!.length).toBe(byDay.get(monday)!.length);
  });
});
