import {
  apiRoute as usersRoute,
  apiRoute as ticketsRoute,
  apiRoute as ticketRoute,
  apiRoute as commentsRoute,
  apiRoute as eventsRoute,
} from "./http";
import { call, type CallOptions } from "./http";

type Who = { cookie: string };
const as = (who: Who, o: CallOptions = {}): CallOptions => ({ cookie: who.cookie, ...o });

/** The ticket API as a client would call it (real handlers, real database). */
export const api = {
  listTickets: (who: Who, query: Record<string, string> = {}) =>
    call(ticketsRoute.GET, "GET", "/api/v1/tickets", as(who, { query })),
  createTicket: (who: Who, body: unknown) => call(ticketsRoute.POST, "POST", "/api/v1/tickets", as(who, { body })),
  getTicket: (who: Who, id: string) =>
    call(ticketRoute.GET, "GET", `/api/v1/tickets/${id}`, as(who, { params: { id } })),
  patchTicket: (who: Who, id: string, body: unknown) =>
    call(ticketRoute.PATCH, "PATCH", `/api/v1/tickets/${id}`, as(who, { params: { id }, body })),
  listComments: (who: Who, id: string, query: Record<string, string> = {}) =>
    call(commentsRoute.GET, "GET", `/api/v1/tickets/${id}/comments`, as(who, { params: { id }, query })),
  addComment: (who: Who, id: string, body: unknown) =>
    call(commentsRoute.POST, "POST", `/api/v1/tickets/${id}/comments`, as(who, { params: { id }, body })),
  events: (who: Who, id: string) =>
    call(eventsRoute.GET, "GET", `/api/v1/tickets/${id}/events`, as(who, { params: { id } })),
  listUsers: (who: Who, query: Record<string, string> = {}) =>
    call(usersRoute.GET, "GET", "/api/v1/users", as(who, { query })),
};

export async function newTicket(who: Who, body: Record<string, unknown> = {}) {
  const r = await api.createTicket(who, { subject: "Printer on fire", body: "It is *really* on fire.", ...body });
  if (r.status !== 201) throw new Error(`createTicket: ${r.status} ${r.text}`);
  return r.body as { id: string; number: number; status: string; [k: string]: unknown };
}
