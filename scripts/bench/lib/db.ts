import pg from "pg";

// Connection helpers and formatting shared by the bench scripts.

export function requireDatabaseUrl(script: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      `${script} needs DATABASE_URL (it never uses the embedded demo database). Example:\n` +
        `  psql -h 127.0.0.1 -U postgres -c 'create database beacon_bench'\n` +
        `  DATABASE_URL=postgres://postgres@127.0.0.1:5432/beacon_bench npm run ${script} -- --scale 0.01`,
    );
    process.exit(2);
  }
  return url;
}

export async function connect(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  return client;
}

/** host:port/database of a URL, without credentials, for messages. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

export const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (ms: number) =>
  ms >= 60_000
    ? `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${ms.toFixed(1)} ms`;

export function fmtBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Runs `jobs` on `clients` in parallel, each client taking the next job when it is free. */
export async function runQueue<T>(
  clients: pg.Client[],
  jobs: T[],
  run: (client: pg.Client, job: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        await run(client, job);
      }
    }),
  );
}
