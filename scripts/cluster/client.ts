// The virtual users' HTTP client: node:http with keep-alive, each user from its own loopback
// address (127.0.0.x), so per-IP rate limits see distinct clients as they would in production.
import http from "node:http";
import { randomBytes } from "node:crypto";

export type Res = {
  status: number; // 0: no response (network error or timeout)
  body: unknown;
  ms: number;
  startedAt: number;
  endedAt: number;
  error?: string;
  requestId: string;
};

export type ReqOpts = {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  requestId?: string;
};

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    readonly localAddress: string,
  ) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4, localAddress });
  }

  request(method: string, path: string, opts: ReqOpts = {}): Promise<Res> {
    const requestId = opts.requestId ?? `cl-${randomBytes(9).toString("base64url")}`;
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { accept: "application/json", "x-request-id": requestId, ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    const startedAt = Date.now();
    return new Promise<Res>((resolve) => {
      let settled = false;
      const finish = (status: number, body: unknown, error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const endedAt = Date.now();
        resolve({ status, body, ms: endedAt - startedAt, startedAt, endedAt, error, requestId });
      };
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => finish(0, null, `response: ${err.message}`));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            if (String(res.headers["content-type"] ?? "").includes("json")) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            finish(res.statusCode ?? 0, body);
          });
        },
      );
      const timer = setTimeout(() => {
        finish(0, null, `timeout after ${opts.timeoutMs ?? 30_000} ms`);
        req.destroy();
      }, opts.timeoutMs ?? 30_000);
      req.on("error", (err) => finish(0, null, err.message));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown } } | null)?.error;
  return typeof e?.code === "string" ? e.code : undefined;
}
