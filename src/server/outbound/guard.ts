import "server-only";
import dns, { type LookupAddress } from "node:dns";
import net, { type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { env } from "../env";
import { classifyAddress, parseCidrList, type Cidr } from "./address-policy";

// Every connection Beacon opens to a host a tenant chose (webhook URLs now; IMAP/SMTP hosts later)
// resolves the name here and connects only to the addresses checked here (decision 021).

/** A destination refused by the outbound policy. Never retried: the same address is refused again. */
export class OutboundRefusedError extends Error {
  readonly code = "EOUTBOUNDREFUSED";
  constructor(readonly reason: string) {
    super(`refused: ${reason}`);
    this.name = "OutboundRefusedError";
  }
}

export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });
let resolveOverride: Resolve | undefined;

/** Tests put a resolver of their own in place of the system's (to answer loopback for a name, or change its answer). */
export function setOutboundResolverForTests(resolve: Resolve | undefined): void {
  resolveOverride = resolve;
}

let allowCache: { key: string; ranges: Cidr[] } | undefined;
function allowList(): Cidr[] {
  const list = env().OUTBOUND_ALLOW_PRIVATE;
  const key = list.join(",");
  if (allowCache?.key === key) return allowCache.ranges;
  const ranges = parseCidrList(list);
  allowCache = { key, ranges };
  return ranges;
}

/** "[::1]" → "::1", "Example.COM." → "example.com". */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

function refuseUnlessAllowed(host: string, address: string, resolved: boolean): void {
  const v = classifyAddress(address, allowList());
  if (!v.ok) {
    throw new OutboundRefusedError(
      resolved
        ? `${host} resolves to a private address (${address} is ${v.kind})`
        : `${address} is a private address (${v.kind})`,
    );
  }
}

/**
 * The addresses of host, every one of them checked; throws OutboundRefusedError when any is not
 * public (and not in OUTBOUND_ALLOW_PRIVATE). IP literals are checked as they are; "localhost"
 * and its subdomains are loopback by definition (RFC 6761), whatever a resolver says.
 */
export async function resolveAllowed(host: string): Promise<LookupAddress[]> {
  let h = normalizeHost(host);
  if (h === "") throw new OutboundRefusedError("no host");
  // 2130706433, 0x7f.1, 0177.0.0.1: the resolver would read these as 127.0.0.1; so does this.
  if (!net.isIP(h) && ipaddr.IPv4.isValid(h)) h = ipaddr.IPv4.parse(h).toString();
  const family = net.isIP(h);
  if (family) {
    refuseUnlessAllowed(h, h, false);
    return [{ address: h, family }];
  }
  if (h === "localhost" || h.endsWith(".localhost")) {
    refuseUnlessAllowed(h, "127.0.0.1", true);
    refuseUnlessAllowed(h, "::1", true);
  }
  const addresses = await (resolveOverride ?? systemResolve)(h);
  if (addresses.length === 0) throw Object.assign(new Error(`${h} has no address`), { code: "ENOTFOUND" });
  for (const a of addresses) refuseUnlessAllowed(h, a.address, true);
  return addresses;
}

/**
 * A net/tls `lookup` option (net.connect({ host, lookup: guardedLookup })): the socket connects to
 * an address this function checked, so a name that changes its answer between checks (DNS
 * rebinding) gains nothing. Node skips `lookup` for IP literals: check those with resolveAllowed
 * before connecting (guardedFetch does).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  resolveAllowed(hostname).then(
    (all) => {
      const want =
        options.family === 4 || options.family === "IPv4"
          ? 4
          : options.family === 6 || options.family === "IPv6"
            ? 6
            : 0;
      const addresses = want ? all.filter((a) => a.family === want) : all;
      if (addresses.length === 0) {
        return callback(
          Object.assign(new Error(`${hostname} has no IPv${want} address`), { code: "ENOTFOUND" }),
          "",
          0,
        );
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    },
    (err: NodeJS.ErrnoException) => callback(err, "", 0),
  );
};

/** A slow resolver must not hold a request (and its transaction) open for long. */
export const SAVE_LOOKUP_TIMEOUT_MS = 3_000;

/**
 * The save-time check of a tenant-chosen URL: the reason it is refused, or null. A name that does
 * not resolve (yet) is accepted here; every connection is checked again when it is made.
 */
export async function refusedUrlReason(url: string, timeoutMs = SAVE_LOOKUP_TIMEOUT_MS): Promise<string | null> {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return "is not a URL";
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<null>((resolve) => (timer = setTimeout(resolve, timeoutMs, null)));
  try {
    await Promise.race([resolveAllowed(host), gaveUp]);
    return null;
  } catch (err) {
    if (err instanceof OutboundRefusedError) return err.reason;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The refusal in err's cause chain (fetch wraps what its dispatcher threw), or undefined. */
export function outboundRefusal(err: unknown): OutboundRefusedError | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundRefusedError) return e;
  }
  return undefined;
}
