import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUrl, totp, totpStep } from "../../src/server/auth/totp";

// Pure RFC test vectors (no database): RFC 4226 Appendix D (HOTP) and RFC 6238 Appendix B (TOTP).

const RFC_SECRET_SHA1 = Buffer.from("12345678901234567890", "ascii");
const RFC_SECRET_SHA256 = Buffer.from("12345678901234567890123456789012", "ascii");
const RFC_SECRET_SHA512 = Buffer.from("1234567890123456789012345678901234567890123456789012345678901234", "ascii");

describe("HOTP (RFC 4226 Appendix D)", () => {
  it.each([
    [0, "755224"],
    [1, "287082"],
    [2, "359152"],
    [3, "969429"],
    [4, "338314"],
    [5, "254676"],
    [6, "287922"],
    [7, "162583"],
    [8, "399871"],
    [9, "520489"],
  ])("counter %i → %s", (counter, code) => {
    expect(hotp(RFC_SECRET_SHA1, counter)).toBe(code);
  });
});

describe("TOTP (RFC 6238 Appendix B, 8 digits, 30 s)", () => {
  it.each([
    [59, "94287082", "46119246", "90693936"],
    [1111111109, "07081804", "68084774", "25091201"],
    [1111111111, "14050471", "67062674", "99943326"],
    [1234567890, "89005924", "91819424", "93441116"],
    [2000000000, "69279037", "90698825", "38618901"],
    [20000000000, "65353130", "77737706", "47863826"],
  ])("T = %i s", (t, sha1, sha256, sha512) => {
    expect(totp(RFC_SECRET_SHA1, t * 1000, 8, "sha1")).toBe(sha1);
    expect(totp(RFC_SECRET_SHA256, t * 1000, 8, "sha256")).toBe(sha256);
    expect(totp(RFC_SECRET_SHA512, t * 1000, 8, "sha512")).toBe(sha512);
  });

  it("uses 30-second steps from the Unix epoch", () => {
    expect(totpStep(59_000)).toBe(1);
    expect(totpStep(1111111109_000)).toBe(0x23523ec);
    expect(totpStep(20000000000_000)).toBe(0x27bc86aa);
  });
});

describe("matchTotp (what sign-in uses: SHA-1, 6 digits, ±1 step)", () => {
  const secret = base32Encode(RFC_SECRET_SHA1);
  const now = 1_700_000_000_000;
  const code = (offsetSteps: number) => totp(RFC_SECRET_SHA1, now + offsetSteps * 30_000);

  it("accepts the current, previous and next step and names the step it matched", () => {
    expect(matchTotp(secret, code(0), now)).toBe(totpStep(now));
    expect(matchTotp(secret, code(-1), now)).toBe(totpStep(now) - 1);
    expect(matchTotp(secret, code(1), now)).toBe(totpStep(now) + 1);
  });

  it("refuses codes two steps away, wrong codes and anything not 6 digits", () => {
    const current = code(0);
    for (const c of [code(-2), code(2)]) if (c !== current) expect(matchTotp(secret, c, now)).toBeNull();
    const wrong = String((Number(current) + 1) % 1_000_000).padStart(6, "0");
    expect(matchTotp(secret, wrong, now)).toBeNull();
    for (const bad of ["", "12345", "1234567", "abcdef", ` ${current}`, `${current}\n`])
      expect(matchTotp(secret, bad, now)).toBeNull();
  });
});

describe("base32 and otpauth URLs", () => {
  it("round-trips base32 (RFC 4648 test vectors, without padding)", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "MY"],
      ["fo", "MZXQ"],
      ["foo", "MZXW6"],
      ["foob", "MZXW6YQ"],
      ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI"],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded).toString()).toBe(plain);
    }
    expect(base32Decode("mzxw 6ytb-oi==").toString()).toBe("foobar");
    expect(() => base32Decode("MZ1")).toThrow();
  });

  it("builds the key URI authenticator apps import", () => {
    const url = new URL(
      otpauthUrl({ secret: "JBSWY3DPEHPK3PXP", issuer: "Beacon", account: "ann@example.com (acme)" }),
    );
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/Beacon:ann@example.com (acme)");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      secret: "JBSWY3DPEHPK3PXP",
      issuer: "Beacon",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });
});
