import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { loggerOptions, REDACT_CENSOR } from "../../src/server/observability/logger";

/** A logger with production's options that writes its JSON lines into an array. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ ...loggerOptions(), level: "info" }, sink), lines };
}

describe("logger redaction", () => {
  it("prints the censor for one-time codes, recovery codes, TOTP and other secrets, at the top level and one level down", () => {
    const { log, lines } = capture();
    log.info(
      {
        code: "123456",
        recoveryCodes: ["aaaa-bbbb", "cccc-dddd"],
        totp: "654321",
        secret: "JBSWY3DPEHPK3PXP",
        body: { code: "111111", password: "hunter2 hunter2" },
        user: { totpSecret: "KRSXG5CTMVRXEZLU", recoveryCode: "eeee-ffff", token: "bcn_x_y" },
        link: { inviteUrl: "http://localhost/setup/abc.def" },
      },
      "secrets everywhere",
    );
    const line = lines[0]!;
    expect(line).toMatchObject({
      code: REDACT_CENSOR,
      recoveryCodes: REDACT_CENSOR,
      totp: REDACT_CENSOR,
      secret: REDACT_CENSOR,
      body: { code: REDACT_CENSOR, password: REDACT_CENSOR },
      user: { totpSecret: REDACT_CENSOR, recoveryCode: REDACT_CENSOR, token: REDACT_CENSOR },
      link: { inviteUrl: REDACT_CENSOR },
    });
    const raw = JSON.stringify(line);
    for (const leaked of [
      "123456",
      "aaaa-bbbb",
      "654321",
      "JBSWY3DPEHPK3PXP",
      "111111",
      "hunter2",
      "KRSXG5CTMVRXEZLU",
      "eeee-ffff",
      "bcn_x_y",
      "abc.def",
    ]) {
      expect(raw).not.toContain(leaked);
    }
  });

  it("keeps an error's code (SQLSTATE, errno): operators need it", () => {
    const { log, lines } = capture();
    log.error(
      { requestId: "r-12345678", err: { name: "DatabaseError", code: "23505", message: "duplicate key" } },
      "request failed",
    );
    expect(lines[0]).toMatchObject({ err: { code: "23505" }, requestId: "r-12345678" });
  });
});
