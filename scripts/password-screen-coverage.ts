// Measures the password screening (src/server/auth/password-policy.ts) against the hand-kept list it
// replaced (src/server/auth/common-passwords.ts, read from git history): how many of the old list's
// entries the new screening refuses, and how many entries it refuses beyond them (decision 024).
//   node scripts/run.mjs password-screen-coverage
import { execFileSync } from "node:child_process";
import { dictionary } from "@zxcvbn-ts/language-common";
import { isCommonPassword } from "../src/server/auth/password-policy";

const PATH = "src/server/auth/common-passwords.ts";
const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" });
const removedIn = git("rev-list", "-n", "1", "HEAD", "--", PATH).trim();
const source = git("show", removedIn ? `${removedIn}^:${PATH}` : `HEAD:${PATH}`);
const old = [...source.matchAll(/^\s+("(?:[^"\\]|\\.)*"),$/gm)].map((m) => JSON.parse(m[1]!) as string);

const refused = old.filter((p) => isCommonPassword(p));
const missed = old.filter((p) => !isCommonPassword(p));
const list = dictionary["passwords-common"];
const oldSet = new Set(old);
const beyond = list.filter((p) => !oldSet.has(p.toLowerCase()) && isCommonPassword(p)).length;
console.log(
  `old list: ${old.length} entries; refused now: ${refused.length}; missed: ${missed.length}${missed.length ? ` (${missed.join(", ")})` : ""}`,
);
console.log(`zxcvbn-ts list: ${list.length} entries, of which ${beyond} are refused and were not in the old list`);
process.exit(missed.length === 0 ? 0 : 1);
