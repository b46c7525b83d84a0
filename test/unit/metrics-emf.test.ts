import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** functions/lib/metrics.ts, imported fresh under the given environment (Powertools reads it once). */
async function load(env: Record<string, string>) {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  return import("../../functions/lib/metrics");
}

describe("operational metrics (EMF)", () => {
  it("counts what a consumer did with an event in the Carebook namespace, per consumer", async () => {
    const { metrics, countConsumed } = await load({ POWERTOOLS_METRICS_DISABLED: "true" });
    countConsumed("metrics", { outcome: "applied", attempts: 3 });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
    metrics.clearMetrics();
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe("Carebook");
    expect(directive!.Dimensions[0]).toEqual(expect.arrayContaining(["service", "consumer"]));
    expect(directive!.Metrics.map((m) => m.Name).sort()).toEqual(["EventsApplied", "TransactionConflictRetries"]);
    expect(emf).toMatchObject({ service: "carebook", consumer: "metrics", EventsApplied: 1, TransactionConflictRetries: 2 });
  });

  it("writes an EMF line in Lambda, none when disabled (tests) or in dev mode (the local runtime)", async () => {
    const emfLines = async (env: Record<string, string>) => {
      vi.resetModules();
      vi.unstubAllEnvs();
      const { metrics, countConsumed } = await load(env);
      const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      countConsumed("metrics", { outcome: "duplicate", attempts: 1 });
      metrics.publishStoredMetrics();
      const lines = [...stdout.mock.calls, ...log.mock.calls].filter(([line]) => String(line).includes("DuplicateEventsSkipped"));
      stdout.mockRestore();
      log.mockRestore();
      return lines.length;
    };
    expect(await emfLines({ POWERTOOLS_METRICS_DISABLED: "false", POWERTOOLS_DEV: "false" })).toBe(1);
    expect(await emfLines({ POWERTOOLS_METRICS_DISABLED: "true" })).toBe(0);
    expect(await emfLines({ POWERTOOLS_DEV: "true" })).toBe(0);
  });
});
