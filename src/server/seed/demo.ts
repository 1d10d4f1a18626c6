import "server-only";

// PLACEHOLDER: being written (see the seed brief). Interface used by scripts/start.ts.
export type SeedResult = { seeded: boolean; summary: string; generatedPassword?: string };

export async function seedDemoIfEmpty(_opts: { password?: string }): Promise<SeedResult> {
  return { seeded: false, summary: "" };
}

export function demoSignIns(_password?: string): { emails: string[]; passwordHint: string } {
  return { emails: [], passwordHint: "" };
}
