/**
 * The page cursors the audit query and the leave list share (core audit/cursor.ts): opaque,
 * bound to their list and filters, and a refused key is a 400, never a 500.
 */
import { describe, expect, it } from "vitest";
import { goPage, pageLimit, readCursor, writeCursor } from "@carebook/core/audit/cursor";
import { ValidationError } from "@carebook/core/errors";

const scope = { list: "leave", c: ["c1"], st: "requested", f: undefined };
const electroCursor = "eyJwayI6ImEiLCJzayI6ImIifQ";

describe("page cursors", () => {
  it("round-trip for the same list and filters, whatever the order of the filters' keys", () => {
    const cursor = writeCursor(electroCursor, scope);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(readCursor(cursor, { st: "requested", c: ["c1"], list: "leave" })).toBe(electroCursor);
  });

  it("refuse other filters, another list, and what is not a cursor of ours", () => {
    const cursor = writeCursor(electroCursor, scope);
    for (const other of [
      { ...scope, st: "approved" },
      { ...scope, c: ["c2"] },
      { ...scope, list: "audit" },
    ]) {
      expect(() => readCursor(cursor, other)).toThrow(expect.objectContaining({ code: "INVALID_CURSOR" }));
    }
    for (const junk of ["not-a-cursor", "", Buffer.from("[]").toString("base64url"), Buffer.from('{"v":2,"q":"x","c":"y"}').toString("base64url")]) {
      expect(() => readCursor(junk, scope)).toThrow(ValidationError);
    }
  });

  it("goPage: wraps the next cursor, none on the last page; a key ElectroDB or DynamoDB refuses is INVALID_CURSOR", async () => {
    const first = await goPage(scope, undefined, async (c) => {
      expect(c).toBeNull();
      return { data: [1, 2], cursor: electroCursor };
    });
    expect(first.data).toEqual([1, 2]);
    const last = await goPage(scope, first.cursor, async (c) => {
      expect(c).toBe(electroCursor);
      return { data: [3], cursor: null };
    });
    expect(last).toEqual({ data: [3], cursor: undefined });

    const refusedBy = (error: object) => goPage(scope, first.cursor, async () => Promise.reject(Object.assign(new Error("refused"), error)));
    await expect(refusedBy({ isElectroError: true })).rejects.toMatchObject({ code: "INVALID_CURSOR" });
    await expect(refusedBy({ name: "ValidationException" })).rejects.toMatchObject({ code: "INVALID_CURSOR" });
    // Without a cursor the same error is the query's own fault: it is not blamed on the client.
    const own = goPage(scope, undefined, async () => Promise.reject(Object.assign(new Error("bad query"), { isElectroError: true })));
    await expect(own).rejects.toThrow("bad query");
    await expect(goPage(scope, first.cursor, async () => Promise.reject(new Error("network")))).rejects.toThrow("network");
  });

  it("clamps limits given in code to 1…200, default 50", () => {
    expect([pageLimit(undefined), pageLimit(0), pageLimit(7), pageLimit(5000)]).toEqual([50, 1, 7, 200]);
  });
});
