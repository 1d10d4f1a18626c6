import "server-only";
import net from "node:net";
import { Agent, buildConnector, fetch, type RequestInit, type Response } from "undici";
import { guardedLookup, normalizeHost, OutboundRefusedError, resolveAllowed } from "./guard";

// fetch() for URLs a tenant chose. One undici Agent, used only by guardedFetch, whose every new
// connection goes through the outbound guard: names are resolved by guardedLookup (so the socket
// connects to the very address that was checked), IP literals are checked by guardedFetch before
// the request starts (Node skips lookup for them), and the peer address of the connected socket is
// checked once more. Redirects are never followed, so no other URL reaches the agent.

const CONNECT_TIMEOUT_MS = 10_000;

let agent: Agent | undefined;

function guardedAgent(): Agent {
  if (agent) return agent;
  const connect = buildConnector({ lookup: guardedLookup, timeout: CONNECT_TIMEOUT_MS });
  agent = new Agent({
    connect: (opts, callback) =>
      connect(opts, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error("no socket"), null);
        const peer = socket.remoteAddress;
        if (!peer) {
          socket.destroy();
          return callback(new Error("connection closed before its peer address was known"), null);
        }
        resolveAllowed(peer).then(
          () => callback(null, socket),
          (refused: Error) => {
            socket.destroy();
            callback(refused, null);
          },
        );
      }),
  });
  return agent;
}

/** Like fetch, through the outbound guard, with redirect: "manual" always (a 3xx is returned as is). */
export async function guardedFetch(
  url: string,
  init: Omit<RequestInit, "dispatcher" | "redirect"> = {},
): Promise<Response> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OutboundRefusedError("not a URL");
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new OutboundRefusedError(`${u.protocol} is not http(s)`);
  const host = normalizeHost(u.hostname);
  if (net.isIP(host)) await resolveAllowed(host);
  // fetch would throw its own TypeError for these, which would look like a receiver to retry.
  if (u.username || u.password) throw new OutboundRefusedError("the URL carries credentials");
  return fetch(u, { ...init, redirect: "manual", dispatcher: guardedAgent() });
}
