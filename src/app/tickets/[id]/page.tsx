import type { Metadata } from "next";
import Link from "next/link";
import { cache } from "react";
import { notFound } from "next/navigation";
import { AppHeader } from "@/components/app-header";
import { LocalTime } from "@/components/local-time";
import { SlaBadge } from "@/components/sla-badge";
import { TicketFiles } from "@/components/tickets/attachment-list";
import { Conversation, type Author } from "@/components/tickets/conversation";
import { ReplyBox } from "@/components/tickets/reply-box";
import { TicketHistory } from "@/components/tickets/ticket-history";
import { CustomerStatusButton, TicketProperties } from "@/components/tickets/ticket-properties";
import { PriorityChip, StatusChip, Tags } from "@/components/tickets/ticket-table";
import { METRIC_LABELS, type MetricKey } from "@/lib/sla-display";
import { ROLE_LABELS, isUuid } from "@/lib/ticket-labels";
import { conversationAttachments } from "@/server/attachments/conversation-attachments";
import { orgSendsReplies } from "@/server/email/outbound-reply";
import { listTicketCcs } from "@/server/email/ticket-ccs";
import { ticketBouncing, type TicketBouncing } from "@/server/email/bouncing";
import { BouncingMark } from "@/components/tickets/bouncing-mark";
import { TicketCcs } from "@/components/tickets/ticket-ccs";
import { withPageContext } from "@/server/auth/page-context";
import { currentUser, requireUser, type PageUser } from "@/server/auth/page-session";
import { AppError } from "@/server/core/errors";
import type { Scope } from "@/server/core/scope";
import { warningLeadSeconds } from "@/server/sla/apply";
import { getVersionedTicket } from "@/server/tickets/get-ticket";
import { listComments } from "@/server/tickets/list-comments";
import { can } from "@/server/authz/permissions";
import { isStaffView, type CommentView } from "@/server/tickets/schemas";
import { ticketEvents, type TicketEvent } from "@/server/tickets/ticket-events";
import { listGroups } from "@/server/automation/manage-groups";
import { listMacros } from "@/server/automation/manage-macros";
import { assignableStaff } from "@/server/pages/automation-data";
import { MacroPicker, type MacroOption } from "@/components/tickets/macro-picker";
import { lookupUsers, type UserSummary } from "@/server/users/lookup-users";
import { allPages } from "@/server/core/list-page";
import { listFields } from "@/server/fields/manage-fields";
import { CustomFieldsPanel } from "@/components/tickets/custom-fields-panel";
import { ticketContext, type TicketContext } from "@/server/pages/ticket-context";
import { TicketRelations } from "@/components/tickets/ticket-relations";
import { CustomerCard } from "@/components/tickets/customer-card";
import { SatisfactionCard } from "@/components/tickets/satisfaction-card";
import { ticketSatisfaction } from "@/server/csat/ratings";
import { LiveTicket } from "@/components/live/live-ticket";
import { WorkspaceTabs } from "@/components/workspace/workspace-tabs";
import { STAFF_VIEWS } from "@/server/tickets/view-counts";

type Params = Promise<{ id: string }>;

const MAX_COMMENTS = 2_000;

/** Every comment the caller may see, oldest first (the list is keyset-paginated by 100). */
async function allComments(scope: Scope, id: string): Promise<CommentView[]> {
  const out: CommentView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listComments(scope, id, { limit: 100, cursor });
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < MAX_COMMENTS);
  return out;
}

// cache(): generateMetadata and the page share one load per request.
const load = cache(async (user: PageUser, id: string) => {
  return withPageContext(user, async (scope) => {
    let ticket, version;
    try {
      ({ ticket, version } = await getVersionedTicket(scope, id));
    } catch (err) {
      if (err instanceof AppError && err.code === "not_found") return null;
      throw err;
    }
    const comments = await allComments(scope, id);
    const files = await conversationAttachments(scope, id);
    const warningMinutes = (await warningLeadSeconds(scope.tx)) / 60;
    const fields = (await listFields(scope)).data;
    const satisfaction = await ticketSatisfaction(scope, id);
    if (!can(user, "ticket.events", ticket)) {
      return {
        ticket,
        version,
        comments,
        files,
        warningMinutes,
        fields,
        events: [] as TicketEvent[],
        agents: [],
        groups: [] as { id: string; name: string }[],
        macros: [] as MacroOption[],
        people: new Map<string, UserSummary>(),
        ccs: [] as string[],
        emailsReplies: false,
        bouncing: null as TicketBouncing | null,
        context: null as TicketContext | null,
        satisfaction,
      };
    }
    const events = await allPages((page) => ticketEvents(scope, id, page));
    const agents = await assignableStaff(scope);
    const groups = (await listGroups(scope)).data.map((g) => ({ id: g.id, name: g.name }));
    const macros = (await listMacros(scope)).data.map((m) => ({ id: m.id, name: m.name, shared: m.shared }));
    const ids = [
      ticket.requesterId,
      isStaffView(ticket) ? ticket.assigneeId : null,
      ...comments.map((c) => c.authorId),
      ...events.map((e) => e.actorId),
    ].filter((x): x is string => Boolean(x));
    const people = await lookupUsers(scope, ids);
    const ccs = await listTicketCcs({ tx: scope.tx, org: { id: scope.user.orgId } }, id);
    const emailsReplies = await orgSendsReplies(scope.tx, scope.user.orgId);
    const bouncing = await ticketBouncing(scope.tx, scope.user.orgId, id);
    const context = await ticketContext(scope, ticket);
    return {
      ticket,
      version,
      comments,
      files,
      warningMinutes,
      fields,
      events,
      agents,
      groups,
      macros,
      people,
      ccs,
      emailsReplies,
      bouncing,
      context,
      satisfaction,
    };
  });
});

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  const user = await currentUser();
  if (!user || user.mustChangePassword || !isUuid(id)) return { title: "Ticket" };
  const data = await load(user, id);
  return { title: data ? `#${data.ticket.number} ${data.ticket.subject}` : "Ticket not found" };
}

/** Who a public reply is emailed to, leaving out bouncing addresses (decision 035); null when nobody. */
function emailedToText(ccs: string[], bouncing: TicketBouncing | null): string | null {
  const requester = !bouncing?.requester;
  const okCcs = ccs.filter((c) => !bouncing?.ccs.has(c)).length;
  const except = bouncing?.requester || okCcs < ccs.length ? " (not to bouncing addresses)" : "";
  if (requester) return (okCcs ? "the requester and the CCs" : "the requester") + except;
  return okCcs ? `the CCs${except}` : null;
}

export default async function TicketPage({ params }: { params: Params }) {
  const { id } = await params;
  const user = await requireUser({ returnTo: `/tickets/${encodeURIComponent(id)}` });
  if (!isUuid(id)) notFound();
  const data = await load(user, id);
  if (!data) notFound();
  const {
    ticket,
    version,
    comments,
    files,
    fields,
    events,
    agents,
    groups,
    macros,
    people,
    warningMinutes,
    ccs,
    emailsReplies,
    bouncing,
    context,
    satisfaction,
  } = data;
  const attachments = files.enabled ? files.data : [];
  const staff = can(user, "ticket.internal.view", ticket);
  // The staff view (priority, tags, assignee); customers get the customer view from getTicket.
  const full = isStaffView(ticket) ? ticket : null;
  // SLA targets: always for staff; for customers only when the org shows them (showSlaToCustomers).
  const sla = ticket.sla;
  const serverNow = Date.now();
  const stopped = ticket.status === "solved" || ticket.status === "closed";
  const closed = ticket.status === "closed";

  const authorOf = (authorId: string): Author => {
    if (authorId === user.userId) return { name: `${user.name} (you)`, role: ROLE_LABELS[user.role] };
    if (staff) {
      const p = people.get(authorId);
      return p ? { name: p.name, role: ROLE_LABELS[p.role] } : { name: "Former user", role: "" };
    }
    // Customers see their own messages and the support team's public replies.
    return { name: user.org.name, role: "Support team" };
  };
  const nameOf = (pid: string | null | undefined) => {
    if (!pid) return "System";
    if (pid === user.userId) return "You";
    return people.get(pid)?.name ?? "a former user";
  };
  const requester = people.get(ticket.requesterId);
  const metrics = sla ? (Object.keys(METRIC_LABELS) as MetricKey[]).filter((k) => sla[k] !== undefined) : [];

  return (
    <>
      <AppHeader user={user} />
      <div className={staff ? "ticket-shell" : undefined}>
        {staff ? (
          <nav className="views ticket-views" aria-label="Ticket views">
            <ul>
              {STAFF_VIEWS.map((v) => (
                <li key={v.key}>
                  <Link href={`/?view=${v.key}`}>{v.label}</Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <main id="main" className="page wide ticket-page">
          {staff ? (
            <WorkspaceTabs
              userId={user.userId}
              current={{ id: ticket.id, label: `#${ticket.number} ${ticket.subject}` }}
            />
          ) : (
            <p className="breadcrumb">
              <Link href="/" data-shortcut-home="">
                ← My requests
              </Link>
            </p>
          )}
          <header className="ticket-head">
            <p className="eyebrow" data-testid="ticket-number">
              Ticket #{ticket.number}
            </p>
            <h1 data-testid="ticket-subject">{ticket.subject}</h1>
            <div className="ticket-meta">
              <StatusChip status={ticket.status} />
              {full ? <PriorityChip priority={full.priority} /> : null}
              <Tags tags={full ? full.tags : []} />
            </div>
            <LiveTicket ticketId={ticket.id} selfId={user.userId} staff={staff} />
          </header>

          <div className="ticket-layout">
            <div className="ticket-main">
              <section aria-labelledby="conversation-title">
                <h2 id="conversation-title" className="visually-hidden">
                  Conversation
                </h2>
                <Conversation comments={comments} authorOf={authorOf} attachments={attachments} staff={staff} />
                <TicketFiles items={attachments.filter((a) => a.commentId === null)} />
                {files.enabled && files.truncated ? (
                  <p className="notice">Only the first {files.data.length} files are listed.</p>
                ) : null}
              </section>
              {closed ? (
                <p className="notice closed-notice">
                  This ticket is closed. {staff ? "It can no longer be changed." : "To follow up, open a new request."}
                </p>
              ) : can(user, "ticket.comment.public", ticket) ? (
                <>
                  {staff ? <MacroPicker ticketId={ticket.id} macros={macros} agents={agents} groups={groups} /> : null}
                  <ReplyBox
                    ticketId={ticket.id}
                    canNote={can(user, "ticket.comment.internal", ticket)}
                    customer={!staff}
                    upload={files.enabled ? { maxBytes: files.maxBytes } : null}
                    emailedTo={staff && emailsReplies ? emailedToText(ccs, bouncing) : null}
                    userId={user.userId}
                    announceTyping={staff}
                  />
                </>
              ) : null}
            </div>

            <aside className="ticket-side" aria-label="Ticket details">
              {sla ? (
                <section className="card side-card" aria-labelledby="sla-title" data-testid="sla-panel">
                  <h2 id="sla-title">SLA</h2>
                  {sla.firstResponse.dueAt || sla.resolution.dueAt ? (
                    <ul className="sla-list">
                      {metrics.map((k) => (
                        <li key={k}>
                          <SlaBadge
                            metricKey={k}
                            metric={sla[k]!}
                            serverNow={serverNow}
                            warningMinutes={warningMinutes}
                            stopped={stopped}
                          />
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p className="muted">No SLA policy applies to this ticket.</p>
                  )}
                </section>
              ) : null}

              <section className="card side-card" aria-labelledby="details-title">
                <h2 id="details-title">Details</h2>
                {full ? (
                  <>
                    <dl className="facts">
                      <div>
                        <dt>Requester</dt>
                        <dd data-testid="requester">
                          {requester ? (
                            <>
                              {requester.name}
                              <span className="muted block">
                                {requester.email}
                                {bouncing?.requester ? (
                                  <>
                                    {" "}
                                    <BouncingMark reason={bouncing.requester} />
                                  </>
                                ) : null}
                              </span>
                            </>
                          ) : (
                            "Unknown user"
                          )}
                        </dd>
                      </div>
                      <div>
                        <dt>CC</dt>
                        <dd data-testid="ticket-cc-field">
                          <TicketCcs
                            ticketId={ticket.id}
                            ccs={ccs.map((c) => ({ email: c, bouncing: bouncing?.ccs.get(c) ?? null }))}
                          />
                        </dd>
                      </div>
                    </dl>
                    <TicketProperties
                      ticketId={ticket.id}
                      status={ticket.status}
                      priority={full.priority}
                      assigneeId={full.assigneeId}
                      groupId={full.groupId}
                      tags={full.tags}
                      version={version}
                      agents={agents}
                      groups={groups}
                      selfId={user.userId}
                    />
                  </>
                ) : (
                  <>
                    <dl className="facts">
                      <div>
                        <dt>Status</dt>
                        <dd>
                          <StatusChip status={ticket.status} />
                        </dd>
                      </div>
                      <div>
                        <dt>Opened</dt>
                        <dd>
                          <LocalTime iso={ticket.createdAt} />
                        </dd>
                      </div>
                      <div>
                        <dt>Last update</dt>
                        <dd>
                          <LocalTime iso={ticket.updatedAt} />
                        </dd>
                      </div>
                    </dl>
                    {!closed && can(user, "ticket.status.solve_or_reopen", ticket) ? (
                      <CustomerStatusButton ticketId={ticket.id} status={ticket.status} />
                    ) : null}
                  </>
                )}
              </section>

              <CustomFieldsPanel
                ticketId={ticket.id}
                fields={fields}
                values={ticket.customFields}
                version={version}
                editable={closed ? false : staff ? true : ticket.requesterId === user.userId ? "customer" : false}
              />
              <SatisfactionCard
                satisfaction={satisfaction}
                staff={staff}
                requester={ticket.requesterId === user.userId}
              />
              {context ? (
                <CustomerCard
                  ticketId={ticket.id}
                  context={context.customer}
                  selfId={user.userId}
                  admin={user.role === "admin"}
                  authorName={context.authorName}
                />
              ) : null}
              {context ? (
                <TicketRelations ticketId={ticket.id} number={ticket.number} closed={closed} links={context.links} />
              ) : null}

              {staff ? (
                <section className="card side-card" aria-labelledby="history-title">
                  <details className="history-details" open>
                    <summary>
                      <h2 id="history-title">History</h2>
                    </summary>
                    <TicketHistory
                      events={events}
                      nameOf={nameOf}
                      groupOf={(gid) => groups.find((g) => g.id === gid)?.name ?? "a group"}
                    />
                  </details>
                </section>
              ) : null}
            </aside>
          </div>
        </main>
      </div>
    </>
  );
}
