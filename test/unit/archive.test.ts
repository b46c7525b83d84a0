/**
 * The archive's pure parts: key layout, JSON Lines, what a line holds, when an ended
 * appointment leaves the table, which stream records the archiver takes; and the S3 adapter's
 * requests (aws-sdk-client-mock) and the local directory adapter.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ARCHIVE_CONTENT_TYPE,
  archivedRecord,
  archiveObjectKey,
  archivePrefix,
  parseJsonLines,
  toJsonLines,
} from "@carebook/core/archive/layout";
import { archiveAfter, DEFAULT_RETENTION_DAYS } from "@carebook/core/archive/retention";
import { matches, type EventPattern } from "@carebook/core/events/pattern";
import { expiredAppointment, isTtlDeletion } from "../../functions/events/archive";
import { streamConsumers } from "../../functions/events/index";
import { ARCHIVE_BUCKET_ENV, ARCHIVE_DIR_ENV, archiveStore, fileArchiveStore, s3ArchiveStore } from "../../functions/lib/archive-store";

const appointment = {
  appointmentId: "a-1",
  regionId: "eu-west",
  clinicId: "london-central",
  typeId: "general-consultation",
  patientId: "p-1",
  doctorId: "d-1",
  doctorName: "Dr One",
  status: "cancelled",
  start: "2026-03-30T08:00:00Z",
  end: "2026-03-30T08:15:00Z",
  blockStart: "2026-03-30T08:00:00Z",
  blockEnd: "2026-03-30T08:20:00Z",
  timeZone: "Europe/London",
  assignment: { rule: "least-loaded", explanation: "fewest bookings", candidates: 2 },
  version: 2,
  history: [
    { at: "2026-03-01T10:00:00Z", action: "booked", by: "p-1", status: "booked" },
    { at: "2026-03-02T10:00:00Z", action: "cancelled", by: "p-1", status: "cancelled", note: "line one\nline two" },
  ],
  cancelReason: "line one\nline two",
  createdAt: "2026-03-01T10:00:00Z",
  updatedAt: "2026-03-02T10:00:00Z",
  expiresAt: 1_790_000_000,
} as const;

/** The item as ElectroDB stores it. */
const stored = {
  ...appointment,
  pk: "$carebook#appointmentid_a-1",
  sk: "$appointment_1",
  gsi1pk: "$carebook#patientid_p-1",
  gsi1sk: "$appointment_1#start_2026-03-30t08:00:00z#appointmentid_a-1",
  __edb_e__: "appointment",
  __edb_v__: "1",
};

describe("archive key layout", () => {
  it("files an appointment under region/clinic/yyyy/mm of its start", () => {
    expect(archivePrefix(appointment)).toBe("eu-west/london-central/2026/03/");
    expect(archiveObjectKey("eu-west/london-central/2026/03/", "4900000000000001234567")).toBe(
      "eu-west/london-central/2026/03/4900000000000001234567.jsonl",
    );
  });

  it("takes the month of the start in UTC", () => {
    // 00:30 on 1 April in London is still March in UTC.
    expect(archivePrefix({ ...appointment, start: "2026-03-31T23:30:00Z" })).toBe("eu-west/london-central/2026/03/");
    expect(archivePrefix({ ...appointment, start: "2026-12-31T23:59:59Z" })).toBe("eu-west/london-central/2026/12/");
    expect(archivePrefix({ ...appointment, start: "2027-01-01T00:00:00Z" })).toBe("eu-west/london-central/2027/01/");
  });

  it("never lets an id add a level or climb out of the layout", () => {
    expect(archivePrefix({ ...appointment, clinicId: "a/b" })).toBe("eu-west/a%2Fb/2026/03/");
    expect(archivePrefix({ ...appointment, regionId: "..", clinicId: "." })).toBe("%2E%2E/%2E/2026/03/");
    expect(() => archivePrefix({ ...appointment, clinicId: "" })).toThrow(RangeError);
    expect(() => archivePrefix({ ...appointment, start: "soon" })).toThrow(RangeError);
  });
});

describe("JSON Lines", () => {
  it("writes one JSON value per line, each ending in a newline, and reads them back", () => {
    const text = toJsonLines([archivedRecord(stored), { appointmentId: "a-2" }]);
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(JSON.parse(lines[0]!)).toEqual(appointment); // the newline in the note stays escaped
    expect(parseJsonLines(text)).toEqual([appointment, { appointmentId: "a-2" }]);
    expect(parseJsonLines("")).toEqual([]);
  });

  it("keeps the appointment's own attributes, not ElectroDB's keys nor a task token", () => {
    const record = archivedRecord({ ...stored, taskToken: "secret", taskTokenStage: "answers" });
    expect(record).toEqual(appointment);
    expect(Object.keys(record)).not.toContain("pk");
    expect(Object.keys(record)).not.toContain("__edb_e__");
  });
});

describe("archiveAfter", () => {
  const DAY = 86_400;
  const end = "2026-03-30T08:15:00Z";
  const endSeconds = Date.parse(end) / 1000;

  it("keeps an appointment the region's retention after its end", () => {
    expect(archiveAfter(end, 90)).toBe(endSeconds + 90 * DAY);
    expect(archiveAfter(end, DEFAULT_RETENTION_DAYS)).toBe(endSeconds + 90 * DAY);
    expect(DEFAULT_RETENTION_DAYS).toBe(90);
  });

  it("counts from the end when cancelled ahead of it, and from the moment it ended when that was later", () => {
    expect(archiveAfter(end, 30, Date.parse("2026-03-01T00:00:00Z"))).toBe(endSeconds + 30 * DAY);
    expect(archiveAfter(end, 30, Date.parse("2026-04-02T00:00:00.500Z"))).toBe(Date.parse("2026-04-02T00:00:01Z") / 1000 + 30 * DAY);
  });

  it("refuses what is not an instant or a retention", () => {
    expect(() => archiveAfter("later", 90)).toThrow(RangeError);
    expect(() => archiveAfter(end, -1)).toThrow(RangeError);
    expect(() => archiveAfter(end, Number.NaN)).toThrow(RangeError);
  });
});

describe("which stream records are archived", () => {
  const ttl = { type: "Service", principalId: "dynamodb.amazonaws.com" };
  const removed = (item: Record<string, unknown>, userIdentity?: unknown): DynamoDBRecord =>
    ({
      eventName: "REMOVE",
      eventSource: "aws:dynamodb",
      ...(userIdentity ? { userIdentity } : {}),
      dynamodb: {
        Keys: marshall({ pk: item.pk, sk: item.sk }),
        OldImage: marshall(item, { removeUndefinedValues: true }),
        SequenceNumber: "100",
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
    }) as DynamoDBRecord;
  const filterTakes = (record: DynamoDBRecord) => streamConsumers.archiver.filters.some((f) => matches(f as EventPattern, record));

  it("takes an appointment that TTL removed", () => {
    const record = removed(stored, ttl);
    expect(filterTakes(record)).toBe(true);
    expect(isTtlDeletion(record)).toBe(true);
    expect(expiredAppointment(record)).toEqual(stored);
  });

  it("leaves appointments deleted by anyone else, other items TTL removed, and inserts", () => {
    const byUser = removed(stored);
    const byRole = removed(stored, { type: "Service", principalId: "someone.amazonaws.com" });
    const claim = removed({ pk: "$carebook#resource_x", sk: "$claim_1", __edb_e__: "claim", expiresAt: 1 }, ttl);
    const inserted = { ...removed(stored, ttl), eventName: "INSERT" } as DynamoDBRecord;
    for (const record of [byUser, byRole, claim, inserted]) {
      expect(filterTakes(record)).toBe(false);
      expect(expiredAppointment(record)).toBeUndefined();
    }
  });
});

describe("S3 archive store", () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it("puts a batch as one JSON Lines object under its key in the bucket", async () => {
    s3.on(PutObjectCommand).resolves({});
    const body = toJsonLines([appointment]);
    await s3ArchiveStore(new S3Client({ region: "eu-west-1" }), "carebook-archive").put("eu-west/london-central/2026/03/100.jsonl", body);
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Bucket: "carebook-archive",
      Key: "eu-west/london-central/2026/03/100.jsonl",
      Body: body,
      ContentType: ARCHIVE_CONTENT_TYPE,
    });
    expect(ARCHIVE_CONTENT_TYPE).toBe("application/x-ndjson");
  });

  it("reads an object's text, and answers undefined for a missing key", async () => {
    s3.on(GetObjectCommand, { Key: "there.jsonl" }).resolves({ Body: { transformToString: async () => "{}\n" } as never });
    s3.on(GetObjectCommand, { Key: "gone.jsonl" }).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }));
    const store = s3ArchiveStore(new S3Client({ region: "eu-west-1" }), "carebook-archive");
    expect(await store.get("there.jsonl")).toBe("{}\n");
    expect(await store.get("gone.jsonl")).toBeUndefined();
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: "carebook-archive", Key: "there.jsonl" });
  });

  it("is the bucket named by the stack, unless the local runtime named a directory", () => {
    expect(() => archiveStore({})).toThrow(ARCHIVE_BUCKET_ENV);
    expect(archiveStore({ [ARCHIVE_BUCKET_ENV]: "carebook-archive" })).toBeDefined();
    expect(archiveStore({ [ARCHIVE_DIR_ENV]: "/tmp/x" })).toBeDefined();
  });
});

describe("local directory archive store", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "carebook-archive-unit-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps each object as a file at its key, overwriting it when written again", async () => {
    const store = fileArchiveStore(dir);
    const key = "eu-west/london-central/2026/03/100.jsonl";
    await store.put(key, "one\n");
    await store.put(key, "two\n");
    expect(await readFile(join(dir, "eu-west", "london-central", "2026", "03", "100.jsonl"), "utf8")).toBe("two\n");
    expect(await store.get(key)).toBe("two\n");
    expect(await store.get("eu-west/london-central/2026/03/101.jsonl")).toBeUndefined();
  });

  it("refuses keys outside its directory", async () => {
    const store = fileArchiveStore(dir);
    await expect(store.put("../escape.jsonl", "x")).rejects.toThrow(RangeError);
    await expect(store.get("a/../../escape.jsonl")).rejects.toThrow(RangeError);
  });
});
