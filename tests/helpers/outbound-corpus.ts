import type { LookupAddress } from "node:dns";

// Hostile webhook URLs: every one must be refused when saved and when delivered (decision 021).
// `port` is the test's loopback listener, so a URL that got past the guard would be seen arriving.
// Names under .beacon-test.example are answered by testResolver below, never by real DNS.

export const TEST_NAMES: Record<string, string[]> = {
  "loopback.beacon-test.example": ["127.0.0.1"],
  "v6loop.beacon-test.example": ["::1"],
  "mapped.beacon-test.example": ["::ffff:127.0.0.1"],
  "mixed.beacon-test.example": ["93.184.216.34", "127.0.0.1"],
  "metadata.beacon-test.example": ["169.254.169.254"],
  "private.beacon-test.example": ["10.1.2.3"],
  "cgnat.beacon-test.example": ["100.100.100.200"],
  "ula.beacon-test.example": ["fd00:ec2::254"],
  "public.beacon-test.example": ["93.184.216.34"],
};

/** The injected resolver: the table above; any other name does not exist (no query leaves the machine). */
export async function testResolver(hostname: string): Promise<LookupAddress[]> {
  const found = TEST_NAMES[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
}

export function hostileUrls(port: number): string[] {
  return [
    // loopback, in every spelling the WHATWG URL parser and the resolver accept
    `http://127.0.0.1:${port}/hook`,
    `https://127.0.0.1:${port}/hook`,
    `http://127.0.0.2:${port}/`,
    `http://127.0.0.1.:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f.0.0.1:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://017700000001:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://127.000.000.001:${port}/`,
    `http://127.1:${port}/`,
    `http://127.0.1:${port}/`,
    `http://%31%32%37.0.0.1:${port}/`,
    `http://0.0.0.0:${port}/`,
    `http://0:${port}/`,
    `http://[::]:${port}/`,
    `http://[::1]:${port}/`,
    `http://[0000:0000:0000:0000:0000:0000:0000:0001]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::ffff:7f00:1]:${port}/`,
    `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`,
    `http://[::127.0.0.1]:${port}/`,
    `http://[64:ff9b::127.0.0.1]:${port}/`,
    `http://[2002:7f00:1::]:${port}/`,
    // names that mean or resolve to loopback
    `http://localhost:${port}/`,
    `http://localhost.:${port}/`,
    `http://LOCALHOST:${port}/`,
    `http://api.localhost:${port}/`,
    `http://loopback.beacon-test.example:${port}/`,
    `http://v6loop.beacon-test.example:${port}/`,
    `http://mapped.beacon-test.example:${port}/`,
    `http://mixed.beacon-test.example:${port}/`,
    // userinfo tricks (the host is the part after the last @)
    `http://evil@127.0.0.1:${port}/`,
    `http://hooks.example.com@127.0.0.1:${port}/`,
    `http://1.1.1.1&@127.0.0.1:${port}#@1.1.1.1/`,
    // cloud metadata and link-local
    "http://169.254.169.254/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://metadata.beacon-test.example/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/",
    // private, CGNAT, unique-local
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://[::ffff:10.0.0.1]/",
    "http://private.beacon-test.example/",
    "http://100.64.0.1/",
    "http://cgnat.beacon-test.example/",
    "http://[fc00::1]/",
    "http://ula.beacon-test.example/",
    "http://127.0.0.1:5432/",
    // multicast, broadcast, reserved
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://192.0.2.1/",
    "http://[2001:db8::1]/",
  ];
}
