import { describe, expect, it } from "vitest";
import {
  describeUploadFailure,
  formatBytes,
  precheckFile,
  retryable,
  typeLabel,
} from "../../src/lib/attachment-display";

const MiB = 1024 * 1024;

describe("formatBytes", () => {
  it.each([
    [0, "0 bytes"],
    [1, "1 byte"],
    [1023, "1023 bytes"],
    [1024, "1 KB"],
    [1536, "1.5 KB"],
    [10 * MiB, "10 MB"],
    [10 * MiB + 1, "10 MB"],
    [123.4 * MiB, "123 MB"],
    [3 * 1024 * MiB, "3 GB"],
  ])("%d → %s", (n, s) => expect(formatBytes(n)).toBe(s));
});

describe("typeLabel", () => {
  it("names the sniffed types and ignores parameters; an unknown type shows as is", () => {
    expect(typeLabel("image/png")).toBe("PNG image");
    expect(typeLabel("text/plain; charset=utf-8")).toBe("Text");
    expect(typeLabel("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).toBe("Excel spreadsheet");
    expect(typeLabel("application/x-unknown")).toBe("application/x-unknown");
  });
});

describe("precheckFile", () => {
  it("lets through a file up to the limit, refuses empty and oversize ones with the sizes", () => {
    expect(precheckFile({ name: "a.png", size: 10 * MiB }, 10 * MiB)).toBeNull();
    expect(precheckFile({ name: "a.png", size: 0 }, 10 * MiB)).toBe("“a.png” is empty, so there is nothing to attach.");
    expect(precheckFile({ name: "big.zip", size: 12 * MiB }, 10 * MiB)).toBe(
      "“big.zip” is 12 MB; files can be at most 10 MB.",
    );
    expect(precheckFile({ name: "edge.zip", size: 10 * MiB + 1 }, 10 * MiB)).toBe(
      "“edge.zip” is 10,485,761 bytes; files can be at most 10,485,760 bytes (10 MB).",
    );
  });
});

describe("describeUploadFailure", () => {
  const f = (status: number, code = "x", message = "") =>
    describeUploadFailure("shot.png", { status, code, message }, 10 * MiB);
  it("explains 413 and 415 in words, with the limit and what is accepted", () => {
    expect(f(413, "payload_too_large")).toBe("“shot.png” is too large. Files can be at most 10 MB.");
    expect(f(415, "unsupported_media_type")).toMatch(
      /^“shot\.png” is a kind of file that cannot be attached\. You can attach images \(PNG, JPEG, GIF, WebP\), PDF/,
    );
  });
  it("tells a switched-off feature from an outage, and a broken connection from a refusal", () => {
    expect(f(503, "feature_disabled")).toMatch(/switched off/);
    expect(f(503, "unavailable")).toMatch(/briefly unavailable/);
    expect(f(0, "network")).toMatch(/interrupted/);
    expect(f(409, "conflict")).toMatch(/closed/);
    expect(f(400, "validation_failed", "the file is empty")).toBe(
      "“shot.png” is empty, so there is nothing to attach.",
    );
    expect(f(500, "internal")).toMatch(/problem on our side/);
  });
  it("only connection, rate-limit and server failures are worth retrying", () => {
    expect([0, 429, 500, 503].map((status) => retryable({ status, code: "", message: "" }))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect([400, 404, 409, 413, 415].map((status) => retryable({ status, code: "", message: "" }))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
