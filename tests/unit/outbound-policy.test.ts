import { describe, expect, it } from "vitest";
import { classifyAddress, parseCidrList } from "../../src/server/outbound/address-policy";
import { parseEnv } from "../../src/server/env";

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["100.64.0.1", "private (CGNAT)"],
    ["169.254.169.254", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.251", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd00:ec2::254", "unique-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::127.0.0.1", "loopback"],
    ["::8.8.8.8", "IPv4-compatible"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b:1::1", "reserved"],
    ["2002:7f00:1::", "reserved"],
    ["2001:db8::1", "reserved"],
    ["fec0::1", "site-local"],
    ["4000::1", "reserved"],
  ])("%s is refused as %s", (address, kind) => {
    expect(classifyAddress(address)).toEqual({ ok: false, kind });
  });

  it.each([
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
  ])("%s is public", (address) => {
    expect(classifyAddress(address)).toEqual({ ok: true });
  });

  it("an allowed range lets its addresses through, also in their IPv4-mapped form, and nothing else", () => {
    const allow = parseCidrList(["127.0.0.0/8", "10.20.0.0/16", "fd00::/8"]);
    for (const a of ["127.0.0.1", "::ffff:127.0.0.1", "10.20.3.4", "fd12::1"])
      expect(classifyAddress(a, allow), a).toEqual({ ok: true });
    for (const a of ["10.21.0.1", "::1", "169.254.169.254", "fc00::1"])
      expect(classifyAddress(a, allow).ok, a).toBe(false);
  });
});

describe("OUTBOUND_ALLOW_PRIVATE", () => {
  it("is a comma-separated CIDR list, empty by default", () => {
    expect(parseEnv({}).OUTBOUND_ALLOW_PRIVATE).toEqual([]);
    expect(parseEnv({ OUTBOUND_ALLOW_PRIVATE: " 10.0.0.0/8 , fd00::/8," }).OUTBOUND_ALLOW_PRIVATE).toEqual([
      "10.0.0.0/8",
      "fd00::/8",
    ]);
  });

  it.each(["10.0.0.1", "10.0.0.0/33", "0x0a.0.0.0/8", "10.0/8", "example.com/8", "fd00::/129"])(
    "refuses %s, naming the variable",
    (v) => {
      expect(() => parseEnv({ OUTBOUND_ALLOW_PRIVATE: v })).toThrow(/OUTBOUND_ALLOW_PRIVATE .*is not a CIDR range/);
    },
  );
});
