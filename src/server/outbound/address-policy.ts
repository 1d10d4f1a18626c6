import ipaddr from "ipaddr.js";

// Which IP addresses Beacon may connect to on a tenant's behalf: public unicast only, unless the
// operator allowed a range on purpose (OUTBOUND_ALLOW_PRIVATE). Pure: no I/O, no env.

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
export type Verdict = { ok: true } | { ok: false; kind: string };

const KIND: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "private (CGNAT)",
  private: "private",
  uniqueLocal: "unique-local",
  ipv4Mapped: "IPv4-mapped",
  deprecatedSiteLocal: "site-local",
};

/** "10.0.0.0/8, fd00::/8" → parsed ranges; throws on anything that is not a CIDR. */
export function parseCidrList(list: readonly string[]): Cidr[] {
  return list.map((c) => {
    if (!c.includes("/")) throw new Error(`${c} is not a CIDR range (address/prefix)`);
    const [addr, bits] = ipaddr.parseCIDR(c);
    return [addr, bits];
  });
}

const inAny = (a: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly Cidr[]) =>
  ranges.some(([net, bits]) => a.kind() === net.kind() && a.match([net, bits] as never));

const NAT64 = ipaddr.parseCIDR("64:ff9b::/96");
const COMPAT = ipaddr.parseCIDR("::/96");
const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

function classifyV4(a: ipaddr.IPv4, allow: readonly Cidr[]): Verdict {
  if (inAny(a, allow)) return { ok: true };
  const range = a.range();
  return range === "unicast" ? { ok: true } : { ok: false, kind: KIND[range] ?? "reserved" };
}

/**
 * The verdict for one address. IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d,
 * compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) are judged by the IPv4 address inside, so
 * ::ffff:127.0.0.1 is loopback. Any IPv6 outside global unicast 2000::/3 is refused.
 */
export function classifyAddress(address: string, allow: readonly Cidr[] = []): Verdict {
  // ipaddr.js reads "::8.8.8.8" (IPv4-compatible) as "::ffff:8.8.8.8" (mapped): judge the
  // canonical hex form the URL parser gives, which is also what a socket would connect to.
  if (address.includes(":") && address.includes(".")) {
    try {
      address = new URL(`http://[${address}]/`).hostname.slice(1, -1);
    } catch {
      return { ok: false, kind: "not an IP address" };
    }
  }
  if (!ipaddr.isValid(address)) return { ok: false, kind: "not an IP address" };
  const a = ipaddr.parse(address);
  if (a.kind() === "ipv4") return classifyV4(a as ipaddr.IPv4, allow);
  const v6 = a as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return classifyV4(v6.toIPv4Address(), allow);
  if (inAny(v6, allow)) return { ok: true };
  const embedded = () => ipaddr.fromByteArray(v6.toByteArray().slice(12)) as ipaddr.IPv4;
  if (v6.match(NAT64)) return classifyV4(embedded(), allow);
  const range = v6.range();
  if (range !== "unicast") return { ok: false, kind: KIND[range] ?? "reserved" };
  if (v6.match(COMPAT)) {
    const inner = classifyV4(embedded(), allow);
    return inner.ok ? { ok: false, kind: "IPv4-compatible" } : inner;
  }
  if (!v6.match(GLOBAL_UNICAST)) return { ok: false, kind: "reserved" };
  return { ok: true };
}
