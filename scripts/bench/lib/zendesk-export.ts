import fs from "node:fs";
import { once } from "node:events";
import path from "node:path";

// A generated Zendesk account export for the import benchmark (issue 17: "a 10,000-ticket
// generated export"), in the shapes the importer's fixture documents (tests/fixtures/import/zendesk):
// ticket_fields, groups and organizations as API pages, users and tickets as NDJSON (one record a
// line, comments inside each ticket, as the account JSON export writes them), group memberships.
// Every ticket has three comments: the customer's request (by email, a Message-ID on one ticket in
// five; else web), an agent's internal note and the agent's public answer. Bodies are prose drawn
// from a word list; about one in ten carries Markdown (a link, emphasis, a list), as real
// conversations do. No attachments: a benchmark makes no network calls. Written as it is
// generated, a line at a time with backpressure, so memory does not grow with the export; the
// same seed gives the same export.

export type GeneratedExport = {
  dir: string;
  tickets: number;
  comments: number;
  internalComments: number;
  messageIds: number;
  users: number;
  agents: number;
  organizations: number;
  groups: number;
  ticketFields: number;
  memberships: number;
  /** Every record in the export (what the import's records/s counts): fields, groups, organizations, users, memberships, tickets, comments. */
  records: number;
  bytes: number;
  ms: number;
};

const WORDS = (
  "account invoice order shipment printer password login error page screen update payment refund " +
  "delivery address customer team report export import settings browser mobile app email message " +
  "attachment subscription plan license server network connection timeout request change issue " +
  "problem question answer week month yesterday today morning afternoon again still already please " +
  "thanks help check look fix resolve send receive open close install restart configure reset " +
  "working broken slow missing wrong new old second first last other same different small large"
).split(" ");
const GREETINGS = ["Hello", "Hi there", "Good morning", "Dear support", "Hi team"];
const CLOSINGS = ["Thanks", "Best regards", "Kind regards", "Cheers", "Thank you"];
const TAGS = ["billing", "hardware", "login", "shipping", "refund", "vip", "bug", "how_to", "urgent_fix", "mobile"];
const STATUSES = ["new", "open", "pending", "hold", "solved", "solved", "closed", "closed", "closed", "open"];
const PRIORITIES = [null, "low", "normal", "normal", "normal", "high", "urgent"];
const REGIONS = ["emea", "apac", "amer"];

/** mulberry32: a small seeded generator, so a run can be repeated byte for byte. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A file written a line at a time, waiting for the stream to drain when its buffer is full. */
class LineWriter {
  private readonly out: fs.WriteStream;
  bytes = 0;
  constructor(file: string) {
    this.out = fs.createWriteStream(file);
  }
  async line(s: string): Promise<void> {
    this.bytes += Buffer.byteLength(s) + 1;
    if (!this.out.write(`${s}\n`)) await once(this.out, "drain");
  }
  async close(): Promise<void> {
    this.out.end();
    await once(this.out, "finish");
  }
}

/** Writes one API page `{"<key>": [records…]}` a record per line, so even a large type streams. */
async function writePage(file: string, key: string, n: number, record: (i: number) => unknown): Promise<number> {
  const w = new LineWriter(file);
  await w.line(`{"${key}": [`);
  for (let i = 0; i < n; i++) await w.line(`${JSON.stringify(record(i))}${i < n - 1 ? "," : ""}`);
  await w.line(`], "count": ${n}, "next_page": null}`);
  await w.close();
  return w.bytes;
}

async function writeNdjson(file: string, n: number, record: (i: number) => unknown): Promise<number> {
  const w = new LineWriter(file);
  for (let i = 0; i < n; i++) await w.line(JSON.stringify(record(i)));
  await w.close();
  return w.bytes;
}

/** Writes a Zendesk export of `tickets` tickets (3 comments each) into `dir` (created if needed). */
export async function writeZendeskExport(
  dir: string,
  opts: { tickets: number; seed?: number },
): Promise<GeneratedExport> {
  const t0 = performance.now();
  fs.mkdirSync(dir, { recursive: true });
  const rand = rng(opts.seed ?? 17);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const n = opts.tickets;
  const agents = Math.max(5, Math.min(50, Math.ceil(n / 500)));
  const customers = Math.max(10, Math.ceil(n / 4));
  const organizations = Math.max(2, Math.ceil(n / 50));
  const groups = 4;
  const base = Date.parse("2023-01-02T08:00:00Z");
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const agentId = (i: number) => 9000 + i;
  const customerId = (i: number) => 1_000_000 + i;
  const groupId = (i: number) => 360_000_100 + i;
  const orgId = (i: number) => 361_000 + i;
  let bytes = 0;

  bytes += await writePage(
    path.join(dir, "ticket_fields.json"),
    "ticket_fields",
    3,
    (i) =>
      [
        { id: 1, type: "subject", title: "Subject", position: 1, active: true },
        {
          id: 360001,
          type: "tagger",
          title: "Region",
          position: 10,
          active: true,
          custom_field_options: REGIONS.map((r, k) => ({ id: 1001 + k, name: r.toUpperCase(), value: r })),
        },
        { id: 360002, type: "text", title: "Order number", position: 11, active: true },
      ][i],
  );
  bytes += await writePage(path.join(dir, "groups.json"), "groups", groups, (i) => ({
    id: groupId(i),
    name: ["Support", "Billing", "Hardware", "Escalations"][i],
    deleted: false,
    created_at: iso(base - 86_400_000 * 30),
  }));
  bytes += await writePage(path.join(dir, "organizations.json"), "organizations", organizations, (i) => ({
    id: orgId(i),
    name: `Customer Company ${i + 1}`,
    domain_names: [`company${i + 1}.example`],
    notes: i % 5 === 0 ? "Key account" : "",
    details: "",
    created_at: iso(base - 86_400_000 * 20),
  }));
  // Agents first, then customers; every customer's domain is its company's.
  bytes += await writeNdjson(path.join(dir, "users.ndjson"), agents + customers, (i) =>
    i < agents
      ? {
          id: agentId(i),
          name: `Agent ${i + 1}`,
          email: `agent${i + 1}@helpdesk.example`,
          role: i === 0 ? "admin" : "agent",
          active: true,
          suspended: false,
          created_at: iso(base - 86_400_000 * 60),
          updated_at: iso(base - 86_400_000 * 60),
        }
      : {
          id: customerId(i - agents),
          name: `Customer ${i - agents + 1}`,
          email: `customer${i - agents + 1}@company${((i - agents) % organizations) + 1}.example`,
          role: "end-user",
          organization_id: orgId((i - agents) % organizations),
          active: true,
          suspended: false,
          created_at: iso(base - 86_400_000 * 10),
          updated_at: iso(base - 86_400_000 * 10),
        },
  );
  bytes += await writePage(path.join(dir, "group_memberships.json"), "group_memberships", agents, (i) => ({
    id: 50_000 + i,
    user_id: agentId(i),
    group_id: groupId(i % groups),
  }));

  const sentence = () => {
    const words = Array.from({ length: 6 + Math.floor(rand() * 10) }, () => pick(WORDS));
    const s = words.join(" ");
    return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
  };
  const paragraph = () => Array.from({ length: 1 + Math.floor(rand() * 3) }, sentence).join(" ");
  // About one body in ten has Markdown in it: what a customer pastes or an agent formats.
  const body = (who: string) => {
    const parts = [`${pick(GREETINGS)}`, paragraph()];
    const r = rand();
    if (r < 0.04) parts.push(`See https://status.example.com/incidents/${Math.floor(rand() * 1000)} for details.`);
    else if (r < 0.07) parts.push(`The **${pick(WORDS)}** step fails with \`E${Math.floor(rand() * 900 + 100)}\`.`);
    else if (r < 0.1) parts.push(`- ${sentence()}\n- ${sentence()}`);
    if (rand() < 0.5) parts.push(paragraph());
    parts.push(`${pick(CLOSINGS)}\n${who}`);
    return parts.join("\n\n");
  };

  let internal = 0;
  let messageIds = 0;
  const tw = new LineWriter(path.join(dir, "tickets.ndjson"));
  for (let i = 0; i < n; i++) {
    const id = 100_001 + i;
    const c = Math.floor(rand() * customers);
    const requester = customerId(c);
    const agent = agentId(Math.floor(rand() * agents));
    const created = base + i * 60_000 * 37;
    const viaEmail = rand() < 0.6;
    const withMessageId = viaEmail && i % 5 === 0;
    const status = pick(STATUSES);
    const subject = `${pick(["Problem with", "Question about", "Cannot", "Help with", "Refund for"])} ${pick(WORDS)} ${pick(WORDS)}`;
    const first = body(`Customer ${c + 1}`);
    const comments = [
      {
        id: 5_000_000 + i * 3,
        type: "Comment",
        author_id: requester,
        body: first,
        html_body: `<div class="zd-comment"><p>${first}</p></div>`,
        plain_body: first,
        public: true,
        attachments: [],
        via: viaEmail
          ? {
              channel: "email",
              source: {
                from: { address: `customer${c + 1}@company${(c % organizations) + 1}.example` },
                to: { address: "support@helpdesk.example" },
              },
            }
          : { channel: "web", source: { from: {}, to: {} } },
        created_at: iso(created),
        metadata: withMessageId ? { system: { message_id: `<import-${id}-1@mail.company.example>` }, custom: {} } : {},
      },
      {
        id: 5_000_000 + i * 3 + 1,
        type: "Comment",
        author_id: agent,
        body: `Internal: ${paragraph()}`,
        plain_body: undefined as string | undefined,
        public: false,
        attachments: [],
        via: { channel: "web", source: { from: {}, to: {} } },
        created_at: iso(created + 600_000),
        metadata: {},
      },
      {
        id: 5_000_000 + i * 3 + 2,
        type: "Comment",
        author_id: agent,
        body: body(`Agent ${agent - 9000 + 1}`),
        plain_body: undefined as string | undefined,
        public: true,
        attachments: [],
        via: { channel: rand() < 0.2 ? "api" : "web", source: { from: {}, to: {} } },
        created_at: iso(created + 3_600_000),
        metadata: {},
      },
    ];
    for (const cm of comments.slice(1)) cm.plain_body = cm.body;
    internal++;
    if (withMessageId) messageIds++;
    const cc = rand() < 0.1 ? [customerId((c + 1) % customers)] : [];
    await tw.line(
      JSON.stringify({
        url: `https://helpdesk.zendesk.com/api/v2/tickets/${id}.json`,
        id,
        via: { channel: viaEmail ? "email" : "web" },
        created_at: iso(created),
        updated_at: iso(created + 7_200_000),
        type: "question",
        subject,
        raw_subject: subject,
        description: first,
        priority: pick(PRIORITIES),
        status,
        requester_id: requester,
        submitter_id: requester,
        assignee_id: agent,
        organization_id: orgId(c % organizations),
        group_id: groupId(Math.floor(rand() * groups)),
        collaborator_ids: cc,
        email_cc_ids: cc,
        follower_ids: [],
        tags: [pick(TAGS), pick(TAGS)],
        custom_fields: [
          { id: 360001, value: pick(REGIONS) },
          { id: 360002, value: rand() < 0.5 ? `ORD-${100_000 + Math.floor(rand() * 900_000)}` : null },
        ],
        satisfaction_rating: null,
        brand_id: 1,
        comments,
      }),
    );
  }
  await tw.close();
  bytes += tw.bytes;
  const users = agents + customers;
  return {
    dir,
    tickets: n,
    comments: 3 * n,
    internalComments: internal,
    messageIds,
    users,
    agents,
    organizations,
    groups,
    ticketFields: 3,
    memberships: agents,
    records: 3 + groups + organizations + users + agents + n + 3 * n,
    bytes,
    ms: Math.round(performance.now() - t0),
  };
}
