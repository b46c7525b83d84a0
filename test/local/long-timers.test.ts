import { afterEach, describe, expect, it, vi } from "vitest";
import { installLongTimers } from "../../packages/local/src/long-timers";

const DAY = 24 * 3600_000;

describe("long timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("wait out delays beyond 2^31 - 1 ms instead of firing at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    installLongTimers(); // over the fake ones, as the controllable clock does
    const fired: string[] = [];
    setTimeout(() => fired.push("35 days"), 35 * DAY);
    const cleared = setTimeout(() => fired.push("cleared"), 30 * DAY);
    setTimeout((what: string) => fired.push(what), 1000, "short");
    clearTimeout(cleared);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toEqual(["short"]);
    await vi.advanceTimersByTimeAsync(35 * DAY - 1001);
    expect(fired).toEqual(["short"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(["short", "35 days"]);
  });

  it("leave short timers to the real functions", async () => {
    installLongTimers();
    const fired = await new Promise<string>((resolve) => setTimeout(resolve, 5, "yes"));
    expect(fired).toBe("yes");
    const handle = setTimeout(() => {}, 40 * DAY);
    expect(typeof handle.unref).toBe("function");
    handle.unref();
    clearTimeout(handle);
  });
});
