import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditContent, canonicalJson, chainDay, entryHash, genesisHash, linkHash } from "@carebook/core/audit/hash";
import { auditQuerySchema } from "@carebook/core/audit/query";

const entry = {
  auditId: "0b6c1d1e-1111-4c4c-9a9a-000000000001",
  subjectType: "appointment",
  subjectId: "a1",
  clinicId: "c1",
  action: "appointment.booked",
  actorId: "p1",
  actorRole: "patient",
  at: "2026-03-01T08:00:00.000Z",
  details: { start: "2026-03-10T09:00:00Z", doctorId: "d1", flags: [true, null] },
};

describe("canonical JSON", () => {
  it("sorts keys at every depth, keeps array order, drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: undefined, b: "x" } })).toBe('{"a":{"b":"x","d":[3,1]},"b":1}');
  });

  it("does not depend on the order an object was built in", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });

  it("orders sets, and refuses what JSON cannot hold", () => {
    expect(canonicalJson({ s: new Set(["b", "a"]) })).toBe('{"s":["a","b"]}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":2}'))).toBe('{"__proto__":{"x":1},"a":2}');
  });
});

describe("audit hashes", () => {
  it("hash an entry's content only: storage keys and ElectroDB's markers do not count", () => {
    const stored = { ...entry, pk: "$carebook#…", sk: "$auditentry_1#…", gsi1pk: "x", __edb_e__: "auditEntry", __edb_v__: "1" };
    expect(auditContent(stored)).toEqual(entry);
    expect(entryHash(stored)).toBe(entryHash(entry));
    expect(entryHash(entry)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("change with any content field", () => {
    const base = entryHash(entry);
    for (const [field, value] of Object.entries({ action: "appointment.cancelled", actorId: "p2", at: "2026-03-01T08:00:00.001Z", details: { ...entry.details, doctorId: "d2" } })) {
      expect(entryHash({ ...entry, [field]: value }), field).not.toBe(base);
    }
  });

  it("bind a link to its clinic, day, place, entry and predecessor", () => {
    const link = { clinicId: "c1", day: "2026-03-01", seq: 1, auditId: entry.auditId, entryHash: entryHash(entry), prevHash: genesisHash("c1", "2026-03-01") };
    const base = linkHash(link);
    for (const change of [{ clinicId: "c2" }, { day: "2026-03-02" }, { seq: 2 }, { auditId: "other" }, { entryHash: "0".repeat(64) }, { prevHash: "f".repeat(64) }]) {
      expect(linkHash({ ...link, ...change }), JSON.stringify(change)).not.toBe(base);
    }
    expect(genesisHash("c1", "2026-03-01")).not.toBe(genesisHash("c1", "2026-03-02"));
    expect(genesisHash("c1", "2026-03-01")).not.toBe(genesisHash("c2", "2026-03-01"));
  });

  it("chain an entry by the UTC day of its instant", () => {
    expect(chainDay("2026-03-01T23:59:59.999Z")).toBe("2026-03-01");
    expect(chainDay("2026-03-02T00:30:00+01:00")).toBe("2026-03-01");
    expect(() => chainDay("yesterday")).toThrow(TypeError);
  });
});

describe("admin audit query parameters", () => {
  it("need one of appointment, actor, clinic", () => {
    const result = auditQuerySchema.safeParse({ from: "2026-03-01" });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(/appointmentId, actor, clinicId/);
  });

  it("take days or instants, default the page size, cap it at 200", () => {
    expect(auditQuerySchema.parse({ actor: "u1", from: "2026-03-01", to: "2026-03-02T10:00:00+02:00" })).toEqual({
      actor: "u1",
      from: "2026-03-01",
      to: "2026-03-02T10:00:00+02:00",
      limit: 50,
    });
    expect(auditQuerySchema.safeParse({ clinicId: "c1", limit: "201" }).success).toBe(false);
    expect(auditQuerySchema.parse({ clinicId: "c1", limit: "200" }).limit).toBe(200);
    expect(auditQuerySchema.safeParse({ clinicId: "c1", from: "March" }).success).toBe(false);
  });

  it("reject `to` before `from`, and allow a single day", () => {
    expect(auditQuerySchema.safeParse({ clinicId: "c1", from: "2026-03-02", to: "2026-03-01" }).success).toBe(false);
    expect(auditQuerySchema.safeParse({ clinicId: "c1", from: "2026-03-02", to: "2026-03-02" }).success).toBe(true);
    expect(auditQuerySchema.safeParse({ clinicId: "c1", from: "2026-03-02T10:00:00Z", to: "2026-03-02T09:59:59Z" }).success).toBe(false);
  });
});
