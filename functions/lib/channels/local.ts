/**
 * The local runtime's channels: every message becomes one JSON file in an outbox directory,
 * `<dir>/<recipient>/<sentAt>-<channel>-<messageId>.json`, which the local `/local/outbox` route
 * and tests read back. A fault switch makes the next sends of a channel fail, so retries and
 * fallbacks can be exercised without AWS. The switch lives in a file in the outbox
 * (`.faults.json`), so a test process can flip it for a runtime running in another process.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DeliveryError, isValidAddress, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import { channels, type Channel } from "@carebook/core/notifications/preferences";
import type { ChannelAdapter } from "./adapter";

export interface OutboxEntry extends OutgoingMessage {
  /** UTC ISO, strictly increasing within a process so the outbox orders like the sends */
  sentAt: string;
}

export interface Fault {
  permanent: boolean;
  /** how many more sends fail */
  times: number;
}

export interface FaultSwitch {
  fail(channel: Channel, fault: Fault): void;
  clear(): void;
}

export interface LocalChannels {
  adapters: Record<Channel, ChannelAdapter>;
  faults: FaultSwitch;
}

const FAULTS_FILE = ".faults.json";

/** A directory name for a recipient id: no path separators, no dot-names, bounded length. */
export function safeName(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._@+-]/g, "_").slice(0, 120);
  return /^\.*$/.test(safe) ? `_${safe}` : safe;
}

/** Temp file + rename: a reader never sees half a file. */
async function writeAtomic(path: string, content: string): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, content);
  await rename(temp, path);
}

function writeAtomicSync(path: string, content: string): void {
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

type FaultState = Partial<Record<Channel, Fault>>;

function readFaults(dir: string): FaultState {
  try {
    return JSON.parse(readFileSync(join(dir, FAULTS_FILE), "utf8")) as FaultState;
  } catch {
    return {};
  }
}

/** The fault switch of an outbox. Synchronous, so a read-decrement-write is never interleaved
 * with another send in the same process. */
export function localFaults(dir: string): FaultSwitch & { take(channel: Channel): Fault | undefined } {
  const save = (state: FaultState) => {
    mkdirSync(dir, { recursive: true });
    writeAtomicSync(join(dir, FAULTS_FILE), JSON.stringify(state));
  };
  return {
    fail(channel, fault) {
      if (!Number.isInteger(fault.times) || fault.times < 1) throw new RangeError("times must be a positive integer");
      save({ ...readFaults(dir), [channel]: { permanent: fault.permanent, times: fault.times } });
    },
    clear() {
      rmSync(join(dir, FAULTS_FILE), { force: true });
    },
    take(channel) {
      const state = readFaults(dir);
      const fault = state[channel];
      if (!fault || fault.times < 1) return undefined;
      const rest = { ...state };
      if (fault.times > 1) rest[channel] = { ...fault, times: fault.times - 1 };
      else delete rest[channel];
      save(rest);
      return fault;
    },
  };
}

export function createLocalChannels(options: { dir: string; now?: () => number }): LocalChannels {
  const { dir } = options;
  const now = options.now ?? Date.now;
  const faults = localFaults(dir);
  let last = 0;

  const adapter = (channel: Channel): ChannelAdapter => ({
    channel,
    async send(message) {
      const fault = faults.take(channel);
      if (fault) {
        throw new DeliveryError(`${channel}: injected ${fault.permanent ? "permanent" : "transient"} fault`, {
          permanent: fault.permanent,
          code: "LocalFault",
        });
      }
      // Refuse what the real provider would refuse, so bad data shows up locally too.
      if (message.channel !== channel || !isValidAddress(channel, message.to)) {
        throw new DeliveryError(`${channel}: cannot send ${message.channel} message to ${message.to}`, { permanent: true, code: "InvalidAddress" });
      }
      last = Math.max(now(), last + 1);
      const sentAt = new Date(last).toISOString();
      const folder = join(dir, safeName(message.recipientId));
      const file = `${sentAt.replace(/:/g, "-")}-${channel}-${safeName(message.messageId)}.json`;
      await mkdir(folder, { recursive: true });
      const entry: OutboxEntry = { ...message, sentAt };
      await writeAtomic(join(folder, file), `${JSON.stringify(entry, null, 2)}\n`);
      return { providerMessageId: `local-${file.slice(0, -".json".length)}`, status: "delivered" };
    },
  });

  const adapters = Object.fromEntries(channels.map((c) => [c, adapter(c)])) as Record<Channel, ChannelAdapter>;
  return { adapters, faults: { fail: faults.fail, clear: faults.clear } };
}

/** The outbox, oldest first. `recipient` matches a patient id, or an address (`to`, any case). */
export async function readOutbox(dir: string, filter: { recipient?: string; channel?: Channel } = {}): Promise<OutboxEntry[]> {
  let folders: string[];
  try {
    folders = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries: Array<OutboxEntry & { file: string }> = [];
  for (const folder of folders) {
    for (const file of await readdir(join(dir, folder))) {
      if (!file.endsWith(".json") || file.startsWith(".")) continue;
      const entry = JSON.parse(await readFile(join(dir, folder, file), "utf8")) as OutboxEntry;
      if (filter.recipient && entry.recipientId !== filter.recipient && entry.to.toLowerCase() !== filter.recipient.toLowerCase()) continue;
      if (filter.channel && entry.channel !== filter.channel) continue;
      entries.push({ ...entry, file });
    }
  }
  entries.sort((a, b) => a.sentAt.localeCompare(b.sentAt) || a.file.localeCompare(b.file));
  return entries.map(({ file: _file, ...entry }) => entry);
}

