/**
 * The archive's object store for this environment: a directory when the local runtime set
 * CAREBOOK_ARCHIVE_DIR (the same keys, as paths under it), else the S3 bucket named in
 * CAREBOOK_ARCHIVE_BUCKET (set by the Events stack). The S3 client is created once per
 * container and reused across invocations.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, relative, resolve, sep } from "node:path";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ArchiveStore } from "@carebook/core/archive/archive";
import { ARCHIVE_CONTENT_TYPE } from "@carebook/core/archive/layout";
import { ARCHIVE_BUCKET_ENV } from "../events/index";

export { ARCHIVE_BUCKET_ENV };
export const ARCHIVE_DIR_ENV = "CAREBOOK_ARCHIVE_DIR";

/** The archive in an S3 bucket (SSE-KMS by the bucket's default encryption). */
export function s3ArchiveStore(client: S3Client, bucket: string): ArchiveStore {
  return {
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: ARCHIVE_CONTENT_TYPE }));
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body!.transformToString("utf8");
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return undefined;
        throw error;
      }
    },
  };
}

/** The archive as files under `dir`, one per key (`<dir>/<region>/<clinic>/<yyyy>/<mm>/<name>.jsonl`). */
export function fileArchiveStore(dir: string): ArchiveStore {
  const root = resolve(dir);
  const pathOf = (key: string) => {
    const path = resolve(root, key);
    const inside = relative(root, path);
    // Keys are built from encoded segments (core/archive/layout.ts); refuse anything else.
    if (!inside || inside.startsWith("..") || inside.split(sep).includes("..")) throw new RangeError(`archive key outside the archive: ${key}`);
    return path;
  };
  return {
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Temp file + rename: a reader never sees half an object (S3 PUTs are atomic too).
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, body, "utf8");
      await rename(temp, path);
    },
    async get(key) {
      try {
        return await readFile(pathOf(key), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
  };
}

let s3: S3Client | undefined;

export function archiveStore(env: NodeJS.ProcessEnv = process.env): ArchiveStore {
  const dir = env[ARCHIVE_DIR_ENV];
  if (dir) return fileArchiveStore(dir);
  const bucket = env[ARCHIVE_BUCKET_ENV];
  if (!bucket) throw new Error(`${ARCHIVE_BUCKET_ENV} is not set`);
  s3 ??= new S3Client({});
  return s3ArchiveStore(s3, bucket);
}
