import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";

// A real IMAP server for the tests: Debian's dovecot-imapd (/usr/sbin/dovecot, installed by
// .ci/run), started with a config of its own in a temp dir, on 127.0.0.1 and a free port, with one
// passwd-file user and a maildir in the same temp dir. Nothing of the system's dovecot is used.

export const DOVECOT_BIN = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"].find((p) => existsSync(p));

export type Dovecot = {
  host: string;
  port: number;
  user: string;
  password: string;
  /** PEM of the self-signed certificate (tls: true), for the client to trust. */
  ca?: string;
  dir: string;
  /** A logged-in client of the test user (for APPEND and looking at flags). */
  client: () => Promise<ImapFlow>;
  stop: () => Promise<void>;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Who the mail files belong to: dovecot refuses uid 0 for mail, so as root the package's own `dovecot` user. */
function mailOwner(): { uid: number; gid: number; internal: string; login: string } {
  const me = os.userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, internal: me.username, login: me.username };
  const id = (flag: string) => Number(spawnSync("id", [flag, "dovecot"], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g"), internal: "dovecot", login: "dovenull" };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}: ${log()}`);
    // Accepting connections is enough: over implicit TLS the greeting waits for a handshake.
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.setTimeout(1_000, () => {
        s.destroy();
        resolve(false);
      });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`dovecot did not listen on ${port} in time: ${log()}`);
}

/** tls: true serves implicit TLS (imaps) on the port, "starttls" cleartext IMAP that offers STARTTLS. */
/** noIdle: a server without the IDLE extension (the fetcher must poll). */
export async function startDovecot(
  opts: { tls?: boolean | "starttls"; password?: string; noIdle?: boolean } = {},
): Promise<Dovecot> {
  if (!DOVECOT_BIN) throw new Error("dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "beacon-dovecot-"));
  // The login and internal users must reach the sockets under base_dir.
  chmodSync(dir, 0o755);
  const owner = mailOwner();
  const user = "support";
  const password = opts.password ?? "imap-test-password";
  for (const d of ["run", "state", "mail"]) mkdirSync(path.join(dir, d), { mode: 0o755 });
  chownSync(path.join(dir, "mail"), owner.uid, owner.gid);
  writeFileSync(
    path.join(dir, "passwd"),
    `${user}:{PLAIN}${password}:${owner.uid}:${owner.gid}::${dir}/mail/${user}\n`,
  );
  const port = await freePort();
  let ca: string | undefined;
  if (opts.tls) {
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    ca = readFileSync(path.join(dir, "cert.pem"), "utf8");
  }
  const conf = [
    "protocols = imap",
    "listen = 127.0.0.1",
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `instance_name = beacon-test-${port}`,
    `default_internal_user = ${owner.internal}`,
    `default_login_user = ${owner.login}`,
    `first_valid_uid = ${Math.min(owner.uid, 500)}`,
    `log_path = ${dir}/dovecot.log`,
    `mail_location = maildir:${dir}/mail/%u`,
    opts.tls
      ? `ssl = ${opts.tls === "starttls" ? "yes" : "required"}\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem`
      : "ssl = no",
    "disable_plaintext_auth = no",
    "auth_mechanisms = plain login",
    opts.noIdle ? "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS MOVE" : "",
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/passwd\n}`,
    `userdb {\n  driver = passwd-file\n  args = ${dir}/passwd\n}`,
    // Implicit TLS on the one port for tls: true, cleartext IMAP (with STARTTLS when it has a certificate) otherwise.
    `service imap-login {\n  inet_listener imap {\n    port = ${opts.tls === true ? 0 : port}\n  }\n  inet_listener imaps {\n    port = ${opts.tls === true ? port : 0}\n    ssl = yes\n  }\n  chroot =\n}`,
    "",
  ].join("\n");
  writeFileSync(path.join(dir, "dovecot.conf"), conf);
  const child = spawn(DOVECOT_BIN, ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  // A test process that ends without stop() (a hook timed out) must not leave dovecot running.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const log = () =>
    output +
    (existsSync(path.join(dir, "dovecot.log")) ? readFileSync(path.join(dir, "dovecot.log"), "utf8").slice(-2000) : "");
  try {
    await waitForPort(port, child, log);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    host: "127.0.0.1",
    port,
    user,
    password,
    ca,
    dir,
    client: async () => {
      const c = new ImapFlow({
        host: "127.0.0.1",
        port,
        secure: opts.tls === true,
        doSTARTTLS: opts.tls === "starttls",
        auth: { user, pass: password },
        logger: false,
        tls: ca ? { ca } : undefined,
      });
      c.on("error", () => undefined);
      await c.connect();
      return c;
    },
    stop: async () => {
      process.off("exit", reap);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
