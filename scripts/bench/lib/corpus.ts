// Word lists and text pools for the bench generator. Text is assembled in Node from templates with
// Zipf-like word choice (a few words very common, a long tail rare), then shipped to PostgreSQL as
// fixed-width pools that the server-side INSERT … SELECT picks from at random. That gives full-text
// search realistic term frequencies ("printer" is common, "duplex" rare) without row-by-row work.

export type Rnd = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seedText: string): Rnd {
  let a = 2166136261;
  for (const ch of seedText) a = Math.imul(a ^ ch.charCodeAt(0), 16777619);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks with P(i) ∝ log((i+2)/(i+1)): log-uniform, i.e. roughly Zipf with exponent 1. Lists are ordered most common first. */
export const zipf = <T>(rnd: Rnd, xs: readonly T[]): T =>
  xs[Math.min(xs.length - 1, Math.floor((xs.length + 1) ** rnd()) - 1)]!;
export const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

// Most common first: zipf() makes the head of each list frequent and the tail rare.
const THINGS = [
  "password",
  "laptop",
  "invoice",
  "email account",
  "VPN client",
  "dashboard",
  "mobile app",
  "router",
  "report export",
  "user account",
  "monitor",
  "printer",
  "login page",
  "billing page",
  "calendar sync",
  "scanner",
  "license key",
  "shared drive",
  "API token",
  "webhook",
  "firewall",
  "docking station",
  "headset",
  "keyboard",
  "SSO login",
  "two-factor code",
  "network share",
  "file upload",
  "search page",
  "order history",
  "shipping label",
  "refund request",
  "payment method",
  "data import",
  "CSV export",
  "notification emails",
  "team inbox",
  "phone system",
  "time sheet",
  "expense report",
  "Wi-Fi access point",
  "label printer",
  "barcode scanner",
  "receipt printer",
  "conference room display",
  "projector",
  "backup job",
  "database connection",
  "mail server",
  "spam filter",
  "browser extension",
  "desktop client",
  "tablet",
  "smart card reader",
  "duplex unit",
  "toner cartridge",
  "paper tray",
  "print queue",
];

const PROBLEMS = [
  "is not working",
  "keeps crashing",
  "is very slow",
  "shows an error",
  "does not load",
  "stopped syncing",
  "disconnects every few minutes",
  "rejects my password",
  "prints blank pages",
  "is stuck offline",
  "returns a timeout",
  "freezes on startup",
  "shows the wrong amount",
  "sends duplicate emails",
  "cannot be found",
  "lost all settings",
  "will not update",
  "is missing data",
  "jams constantly",
  "shows a certificate warning",
  "drops the connection",
  "reports a license error",
  "is greyed out",
  "double charges customers",
  "ignores the new configuration",
  "fails silently",
  "runs out of memory",
];

const WHEN = [
  "since this morning",
  "after the latest update",
  "since yesterday",
  "after the firmware upgrade",
  "every time I restart",
  "on Monday mornings",
  "since we moved offices",
  "after the password reset",
  "when more than ten people are online",
  "since the migration",
  "after installing the patch",
  "intermittently",
  "since last week",
  "during the monthly close",
  "after the browser update",
];

const ACTIONS = [
  "restarted",
  "reinstalled",
  "updated",
  "reset",
  "reconnected",
  "cleared the cache of",
  "replaced",
  "unplugged",
  "re-enrolled",
  "reconfigured",
  "rolled back",
  "power cycled",
  "re-imaged",
  "checked",
];

const ASKS = [
  "let me know what to do next",
  "send someone to have a look",
  "call me back",
  "escalate this",
  "tell me if this is a known issue",
  "reset it on your side",
  "share an estimate for the fix",
  "check the logs",
  "confirm when it is fixed",
  "send me the instructions again",
];

const AGENT = [
  "I have reproduced the issue on our side",
  "our engineers are looking into it",
  "this is a known issue with the current release",
  "I have escalated this to the second line team",
  "a fix is scheduled for the next maintenance window",
  "I have reset the configuration",
  "I could not reproduce the problem",
  "I have applied a workaround",
  "the vendor has confirmed the bug",
  "the certificate has been renewed",
  "I have pushed a new driver",
  "the license has been reissued",
];

const INSTRUCTIONS = [
  "restart the device and try again",
  "clear your browser cache",
  "update to the latest version",
  "send us a screenshot of the error",
  "check the cable connection",
  "sign out and sign in again",
  "attach the log file from the settings page",
  "try a different network",
  "confirm the serial number",
  "run the diagnostic tool",
  "reinstall the driver from the portal",
  "disable the browser extension",
];

const NOTES = [
  "customer is on the enterprise plan",
  "same issue as last month",
  "waiting on the vendor",
  "do not close before the customer confirms",
  "linked to the outage incident",
  "needs manager approval",
  "duplicate of an older ticket",
  "spoke to the customer by phone",
  "escalated to engineering",
  "refund approved by finance",
  "check again after the weekend",
  "VIP account, handle with care",
];

const FILLER = [
  "Hi team,",
  "Hello,",
  "Good morning,",
  "Thanks for the quick reply.",
  "Thank you.",
  "Any update on this?",
  "This is urgent for us.",
  "It worked fine until recently.",
  "Several colleagues are affected.",
  "Please advise.",
  "Best regards.",
  "Kind regards.",
  "Cheers.",
  "Sorry for the trouble.",
  "We have a deadline on Friday.",
  "Nothing changed on our side.",
  "I attached a screenshot.",
];

const ERRORS = [
  "E042",
  "0x80070005",
  "ERR_CONNECTION_RESET",
  "HTTP 500",
  "HTTP 401",
  "code 13",
  "PC LOAD LETTER",
  "E-1107",
  "timeout 504",
  "SSL_ERROR",
];

const SUBJECT_TEMPLATES: ((r: Rnd) => string)[] = [
  (r) => `${cap(zipf(r, THINGS))} ${zipf(r, PROBLEMS)}`,
  (r) => `${cap(zipf(r, THINGS))} ${zipf(r, PROBLEMS)} ${zipf(r, WHEN)}`,
  (r) => `Cannot use the ${zipf(r, THINGS)} ${zipf(r, WHEN)}`,
  (r) => `Error ${pick(r, ERRORS)} on the ${zipf(r, THINGS)}`,
  (r) => `Request: new ${zipf(r, THINGS)} for ${pick(r, FIRST_NAMES)}`,
  (r) => `Question about the ${zipf(r, THINGS)}`,
  (r) =>
    `Invoice INV-${1000 + Math.floor(r() * 9000)} ${pick(r, ["shows the wrong amount", "was charged twice", "is missing", "needs a new address"])}`,
  (r) => `Urgent: ${zipf(r, THINGS)} ${zipf(r, PROBLEMS)}`,
  (r) => `${cap(zipf(r, THINGS))} and ${zipf(r, THINGS)} ${zipf(r, PROBLEMS)}`,
];

const SENTENCE_TEMPLATES: ((r: Rnd) => string)[] = [
  (r) => `The ${zipf(r, THINGS)} ${zipf(r, PROBLEMS)} ${zipf(r, WHEN)}.`,
  (r) => `I ${zipf(r, ACTIONS)} the ${zipf(r, THINGS)} but it still ${zipf(r, PROBLEMS)}.`,
  (r) => `We see error ${pick(r, ERRORS)} on the ${zipf(r, THINGS)} ${zipf(r, WHEN)}.`,
  (r) => `Could you please ${zipf(r, ASKS)}?`,
  (r) => `${cap(zipf(r, AGENT))}.`,
  (r) => `Please ${zipf(r, INSTRUCTIONS)} and let us know if the problem persists.`,
  (r) => `${pick(r, FILLER)} ${cap(zipf(r, THINGS))} ${zipf(r, PROBLEMS)} for ${1 + Math.floor(r() * 40)} users.`,
  (r) => `${pick(r, FILLER)}`,
  (r) => `${pick(r, FIRST_NAMES)} from accounting says the ${zipf(r, THINGS)} ${zipf(r, PROBLEMS)} too.`,
  (r) => `After I ${zipf(r, ACTIONS)} the ${zipf(r, THINGS)}, the ${zipf(r, THINGS)} ${zipf(r, PROBLEMS)}.`,
];

const NOTE_TEMPLATES: ((r: Rnd) => string)[] = [
  (r) => `Internal: ${zipf(r, NOTES)}.`,
  (r) => `${pick(r, FIRST_NAMES)} says ${zipf(r, NOTES)}.`,
  (r) => `Checked with ${pick(r, FIRST_NAMES)}: ${zipf(r, NOTES)}.`,
  (r) => `Note: the ${zipf(r, THINGS)} ${zipf(r, PROBLEMS)}, ${zipf(r, NOTES)}.`,
];

export const FIRST_NAMES = [
  "Ada",
  "Ben",
  "Chloe",
  "Dev",
  "Elena",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Kemi",
  "Liam",
  "Maya",
  "Noah",
  "Olga",
  "Pedro",
  "Qin",
  "Rosa",
  "Sam",
  "Tariq",
  "Uma",
  "Viktor",
  "Wen",
  "Ximena",
  "Yusuf",
  "Zoe",
  "Amir",
  "Bianca",
  "Carlos",
  "Dana",
  "Emil",
  "Fatima",
  "Gustav",
  "Hana",
  "Ivan",
  "Julia",
  "Kofi",
  "Lena",
];
export const LAST_NAMES = [
  "Smith",
  "Garcia",
  "Nguyen",
  "Müller",
  "Rossi",
  "Kowalski",
  "Tanaka",
  "Okafor",
  "Dubois",
  "Silva",
  "Andersson",
  "Khan",
  "Novak",
  "Jensen",
  "Costa",
  "Ivanova",
  "Park",
  "Haddad",
  "Moreau",
  "Fischer",
  "Lopez",
  "Chen",
  "Brown",
  "Yilmaz",
  "Sato",
  "Mendes",
  "Schmidt",
  "Popescu",
  "Larsen",
  "Murphy",
];

/** ~40 tags, most used first. */
export const TAGS = [
  "billing",
  "login",
  "bug",
  "printer",
  "email",
  "network",
  "hardware",
  "account",
  "vpn",
  "urgent-customer",
  "feature-request",
  "refund",
  "onboarding",
  "api",
  "mobile",
  "performance",
  "outage",
  "security",
  "license",
  "export",
  "import",
  "sso",
  "2fa",
  "invoice",
  "shipping",
  "webhook",
  "integration",
  "ui",
  "docs",
  "how-to",
  "escalated",
  "vip",
  "duplicate",
  "wifi",
  "scanner",
  "backup",
  "migration",
  "phone",
  "calendar",
  "other",
];

const ORG_A = [
  "Northwind",
  "Globex",
  "Initech",
  "Umbrella",
  "Stark",
  "Wayne",
  "Acme",
  "Hooli",
  "Vandelay",
  "Soylent",
  "Cyberdyne",
  "Tyrell",
  "Wonka",
  "Gringotts",
  "Oscorp",
  "Duff",
];
const ORG_B = [
  "Logistics",
  "Retail",
  "Health",
  "Labs",
  "Foods",
  "Systems",
  "Travel",
  "Energy",
  "Bank",
  "Studios",
  "Motors",
  "Media",
];
export const TIMEZONES = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "Asia/Tokyo",
  "Europe/London",
  "America/Los_Angeles",
  "Australia/Sydney",
];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function orgName(rnd: Rnd, i: number): string {
  return `${pick(rnd, ORG_A)} ${pick(rnd, ORG_B)} ${i}`;
}

/**
 * A pool of `count` distinct-ish ASCII strings, each padded with spaces to `width` bytes, as one
 * buffer: PostgreSQL picks entry i with substring(pool from i*width+1 for width) in O(1) (a text[]
 * subscript walks the array from its start, which at 3M comments is minutes of CPU).
 */
export function fixedWidthPool(strings: string[], width: number): Buffer {
  const buf = Buffer.alloc(strings.length * width, 0x20);
  strings.forEach((s, i) => {
    const ascii = s.normalize("NFKD").replace(/[^\x20-\x7e]/g, "");
    buf.write(ascii.slice(0, width - 1), i * width, "ascii");
  });
  return buf;
}

export type Pool = { buf: Buffer; count: number; width: number };

/** Sentences for comments: entries [0, publicCount) read like customer and agent replies, the rest like internal notes. */
export function sentencePool(
  seed: string,
  publicCount: number,
  noteCount: number,
): Pool & { publicCount: number; noteCount: number } {
  const rnd = prng(`sentences:${seed}`);
  const width = 128;
  const make = (templates: ((r: Rnd) => string)[]) => {
    let s = pick(rnd, templates)(rnd);
    // Every sentence is at least 20 characters, so the shortest comment (one sentence) is too.
    while (s.length < 20) s = `${s} ${pick(rnd, FILLER)}`;
    return s;
  };
  const xs = [
    ...Array.from({ length: publicCount }, () => make(SENTENCE_TEMPLATES)),
    ...Array.from({ length: noteCount }, () => make(NOTE_TEMPLATES)),
  ];
  return { buf: fixedWidthPool(xs, width), count: xs.length, width, publicCount, noteCount };
}

export function subjectPool(seed: string, count: number): Pool {
  const rnd = prng(`subjects:${seed}`);
  const width = 100;
  return {
    buf: fixedWidthPool(
      Array.from({ length: count }, () => pick(rnd, SUBJECT_TEMPLATES)(rnd)),
      width,
    ),
    count,
    width,
  };
}

/**
 * What people type into the search box over this corpus, for the HTTP load (scripts/bench/http-load.ts):
 * the things tickets are about (one- and two-word, common to rare), error codes, a few words of the
 * problems, partial words (the pg_trgm path) and a few terms no ticket contains (the worst case).
 */
export function searchTerms(): string[] {
  const problemWords = [
    "crashing",
    "slow",
    "error",
    "syncing",
    "timeout",
    "blank",
    "offline",
    "license",
    "certificate",
    "duplicate",
  ];
  const partial = ["print", "invoi", "passw", "firmw", "dashb", "keybo"];
  const absent = ["kubernetes", "terraform", "blockchain"];
  return [...THINGS, ...ERRORS, ...problemWords, ...partial, ...absent];
}
