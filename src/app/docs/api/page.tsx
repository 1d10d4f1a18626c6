import type { Metadata } from "next";
import Link from "next/link";
import { AppHeader } from "@/components/app-header";
import { currentUser } from "@/server/auth/page-session";
import { openApiDocument } from "@/server/api/openapi";

export const metadata: Metadata = { title: "API reference" };

type Schema = Record<string, unknown>;
type Parameter = { name: string; in: string; required: boolean; schema: Schema; description?: string };
type Operation = {
  summary: string;
  tags: string[];
  "x-beacon-roles": string;
  parameters: Parameter[];
  /** application/json, or multipart/form-data for an upload. */
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<
    string,
    {
      description?: string;
      $ref?: string;
      headers?: Record<string, { description?: string; $ref?: string }>;
      content?: Record<string, { schema: Schema }>;
    }
  >;
};
type Doc = {
  info: { title: string; description: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; headers: Record<string, { description: string }> };
};

/** "#/components/schemas/Ticket" → "Ticket". */
const refName = (ref: unknown) => (typeof ref === "string" ? ref.split("/").pop()! : "");

const ROLES: Record<string, string> = {
  public: "No sign-in needed",
  any: "Any signed-in user (customer, agent, admin)",
  staff: "Agents and admins",
  admin: "Admins",
};

const METHOD_ORDER = ["get", "post", "put", "patch", "delete"];
const TAG_LABELS: Record<string, string> = {
  auth: "Authentication",
  me: "Your account",
  tickets: "Tickets",
  attachments: "Attachments",
  users: "Users",
  notifications: "Notifications",
  sla: "SLA policies",
  webhooks: "Webhooks",
  org: "Organization",
  export: "Export",
  audit: "Audit",
};
// Reading order: what everyone uses first, administration after.
const TAG_ORDER = Object.keys(TAG_LABELS);

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

/** A short type for a parameter table: `string (uuid)`, `"me" | "none" | string (uuid)`, `one of "a", "b"`. */
function typeOf(s: Schema): string {
  if (typeof s.$ref === "string") return refName(s.$ref);
  if (s.type === "array" && s.items && typeof s.items === "object") return `list of ${typeOf(s.items as Schema)}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) {
    const values = (s.enum as unknown[]).map((v) => JSON.stringify(v));
    return values.length === 1 ? values[0]! : `one of ${values.join(", ")}`;
  }
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map(typeOf).join(" | ");
  const t = typeof s.type === "string" ? s.type : "any";
  const fmt = typeof s.format === "string" ? ` (${s.format})` : "";
  const pattern = typeof s.pattern === "string" && !fmt ? ` matching ${s.pattern}` : "";
  return `${t}${fmt}${pattern}`;
}

function JsonBlock({ label, value }: { label: string; value: unknown }) {
  const named = value && typeof value === "object" && "$ref" in value ? refName((value as Schema).$ref) : null;
  if (named) {
    return (
      <p className="api-roles">
        <strong>{label}:</strong> <a href={`#schema-${slug(named)}`}>{named}</a>
      </p>
    );
  }
  return (
    <details className="schema">
      <summary>{label}</summary>
      <pre tabIndex={0}>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

/** The OpenAPI document (GET /api/openapi.json) for people: grouped by tag, every route with its roles and schemas. */
export default async function ApiDocsPage() {
  const user = await currentUser();
  const doc = openApiDocument() as unknown as Doc;
  const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ path, method, op, id: slug(`${method} ${path}`) })),
  );
  const rank = (t: string) => (TAG_ORDER.includes(t) ? TAG_ORDER.indexOf(t) : TAG_ORDER.length);
  const tags = [...new Set(ops.map((o) => o.op.tags[0] ?? "other"))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  const schemas = Object.entries(doc.components.schemas);

  return (
    <>
      {user && !user.mustChangePassword ? <AppHeader user={user} /> : null}
      <main id="main" className="page api-docs">
        <header className="api-intro">
          <p className="eyebrow">Reference · version {doc.info.version}</p>
          <h1>{doc.info.title}</h1>
          <p>{doc.info.description}</p>
          <p>
            Authenticate with the session cookie (in the browser) or <code>Authorization: Bearer &lt;token&gt;</code>.
            Lists take <code>limit</code> (1–100) and an opaque <code>cursor</code> and answer{" "}
            <code>{"{data, nextCursor}"}</code>.
          </p>
          <p>
            <a href="/api/openapi.json" className="button">
              Download openapi.json
            </a>
          </p>
        </header>

        <nav aria-labelledby="toc-title" className="card api-toc">
          <h2 id="toc-title">Endpoints</h2>
          {tags.map((tag) => (
            <div key={tag}>
              <h3>{TAG_LABELS[tag] ?? tag}</h3>
              <ul>
                {ops
                  .filter((o) => (o.op.tags[0] ?? "other") === tag)
                  .map((o) => (
                    <li key={o.id}>
                      <a href={`#${o.id}`}>
                        <span className={`method method-${o.method}`}>{o.method.toUpperCase()}</span>{" "}
                        <code>{o.path}</code>
                      </a>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
        </nav>

        {tags.map((tag) => (
          <section key={tag} aria-labelledby={`tag-${slug(tag)}`} className="api-tag">
            <h2 id={`tag-${slug(tag)}`}>{TAG_LABELS[tag] ?? tag}</h2>
            {ops
              .filter((o) => (o.op.tags[0] ?? "other") === tag)
              .sort(
                (a, b) =>
                  a.path.localeCompare(b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
              )
              .map(({ path, method, op, id }) => {
                const [okStatus, ok] = Object.entries(op.responses).find(([code]) => code.startsWith("2")) ?? [
                  "200",
                  undefined,
                ];
                const errors = Object.keys(op.responses).filter((c) => !c.startsWith("2"));
                return (
                  <article key={id} id={id} className="card api-op" aria-labelledby={`${id}-title`}>
                    <h3 id={`${id}-title`} className="api-op-title">
                      <span className={`method method-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
                    </h3>
                    <p>{op.summary}</p>
                    <p className="api-roles">
                      <strong>Who:</strong> {ROLES[op["x-beacon-roles"]] ?? op["x-beacon-roles"]}
                    </p>
                    {op.parameters.length > 0 ? (
                      <div className="table-scroll">
                        <table role="table" className="params">
                          <caption>Parameters</caption>
                          <thead role="rowgroup">
                            <tr role="row">
                              <th role="columnheader" scope="col">
                                Name
                              </th>
                              <th role="columnheader" scope="col">
                                In
                              </th>
                              <th role="columnheader" scope="col">
                                Type
                              </th>
                              <th role="columnheader" scope="col">
                                Required
                              </th>
                            </tr>
                          </thead>
                          <tbody role="rowgroup">
                            {op.parameters.map((p) => (
                              <tr role="row" key={`${p.in}-${p.name}`}>
                                <td role="cell" data-label="Name">
                                  <code>{p.name}</code>
                                </td>
                                <td role="cell" data-label="In">
                                  {p.in}
                                </td>
                                <td role="cell" data-label="Type">
                                  {typeOf(p.schema)}
                                </td>
                                <td role="cell" data-label="Required">
                                  {p.required ? "yes" : "no"}
                                </td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    ) : null}
                    {Object.entries(op.requestBody?.content ?? {}).map(([type, body]) => (
                      <JsonBlock key={type} label={`Request body (${type})`} value={body.schema} />
                    ))}
                    {Object.entries(ok?.headers ?? {}).map(([name, h]) => (
                      <p key={name} className="api-roles">
                        <strong>
                          Response header <code>{name}</code>:
                        </strong>{" "}
                        {h.description ?? doc.components.headers[refName(h.$ref)]?.description}
                      </p>
                    ))}
                    {ok?.content ? (
                      Object.entries(ok.content).map(([type, body]) => (
                        <JsonBlock
                          key={type}
                          label={
                            type === "application/json" ? `Response ${okStatus}` : `Response ${okStatus} (${type})`
                          }
                          value={body.schema}
                        />
                      ))
                    ) : (
                      <p className="muted">Response {okStatus}: no content.</p>
                    )}
                    <p className="api-errors">
                      <strong>Errors:</strong> {errors.join(", ")} — each as{" "}
                      <code>{'{"error":{code,message,details?}}'}</code>, or{" "}
                      <a href="#schema-problem">problem details</a> for <code>Accept: application/problem+json</code>.
                    </p>
                  </article>
                );
              })}
          </section>
        ))}

        <section aria-labelledby="schemas-title" className="api-tag">
          <h2 id="schemas-title">Schemas</h2>
          {schemas.map(([name, schema]) => (
            <div key={name} id={`schema-${slug(name)}`}>
              <JsonBlock label={name} value={schema} />
            </div>
          ))}
        </section>
        <p>
          <Link href="/">Back to Beacon</Link>
        </p>
      </main>
    </>
  );
}
