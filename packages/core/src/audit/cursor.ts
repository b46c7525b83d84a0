/**
 * Opaque page cursors bound to the query they came from — the audit query's (./query.ts), also
 * used by other cursor-paged lists (staff/leave.ts).
 *
 * The client gets ElectroDB's own cursor wrapped with a fingerprint of the list and its
 * filters: a cursor handed back with other filters (or to another list) is a 400
 * INVALID_CURSOR, not a page that silently starts somewhere else. A cursor that is not ours,
 * or whose key ElectroDB or DynamoDB refuse, is the same 400, never a 500.
 */
import { z } from "zod";
import { ValidationError } from "../errors";
import { canonicalJson, sha256Hex } from "./hash";

/** Items per page when the client does not say, and the most a client may ask for. */
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;

/** `limit` and `cursor` of a paged list's query string. */
export const pageQueryShape = {
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(PAGE_DEFAULT),
  cursor: z.string().min(1).max(4096).optional(),
};

/** The list a cursor belongs to and the filters that shape its pages (undefined members are dropped). */
export type CursorScope = { list: string } & Record<string, unknown>;

interface Cursor {
  v: 1;
  /** The list and filters the cursor belongs to. */
  q: string;
  /** ElectroDB's own cursor. */
  c: string;
}

const fingerprint = (scope: CursorScope) => sha256Hex(canonicalJson(scope)).slice(0, 16);

export const invalidCursor = () => new ValidationError("The cursor is not valid for this query", undefined, "INVALID_CURSOR");

/** ElectroDB's cursor inside `cursor`, if it belongs to `scope`; else 400 INVALID_CURSOR. */
export function readCursor(cursor: string, scope: CursorScope): string {
  let parsed: Partial<Cursor>;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<Cursor>;
  } catch {
    throw invalidCursor();
  }
  if (parsed?.v !== 1 || typeof parsed.c !== "string" || parsed.q !== fingerprint(scope)) throw invalidCursor();
  return parsed.c;
}

export const writeCursor = (c: string, scope: CursorScope): string =>
  Buffer.from(JSON.stringify({ v: 1, q: fingerprint(scope), c } satisfies Cursor), "utf8").toString("base64url");

/** Clamps a limit given in code (the schema clamps what clients send). */
export const pageLimit = (limit: number | undefined): number => Math.min(Math.max(1, limit ?? PAGE_DEFAULT), PAGE_MAX);

/**
 * One page of a query: `run` gets ElectroDB's cursor (null for the first page) and runs the
 * query with it; the answer's cursor comes back wrapped for `scope`, absent on the last page.
 */
export async function goPage<T>(
  scope: CursorScope,
  cursor: string | undefined,
  run: (cursor: string | null) => Promise<{ data: T[]; cursor: string | null }>,
): Promise<{ data: T[]; cursor?: string }> {
  const inner = cursor ? readCursor(cursor, scope) : null;
  let page: { data: T[]; cursor: string | null };
  try {
    page = await run(inner);
  } catch (error) {
    // Our fingerprint matched, but ElectroDB cannot read the key, or DynamoDB refuses it.
    const e = error as { isElectroError?: boolean; name?: string; cause?: { name?: string } };
    const rejected = e.isElectroError || e.name === "ValidationException" || e.cause?.name === "ValidationException";
    if (inner && rejected) throw invalidCursor();
    throw error;
  }
  return { data: page.data, cursor: page.cursor ? writeCursor(page.cursor, scope) : undefined };
}
