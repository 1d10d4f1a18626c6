import type { Role } from "../db/schema/enums";

/** Who is calling, verified against the database on this very request. */
export type Principal = {
  userId: string;
  orgId: string;
  role: Role;
  email: string;
  name: string;
  mustChangePassword: boolean;
  /**
   * The org requires two-factor sign-in for this role and the user has not set it up: like
   * mustChangePassword, the session may only reach /me and /me/2fa until they do.
   * (Optional only so hand-built principals elsewhere need not name it; confirmClaim always sets it.)
   */
  twoFactorSetupRequired?: boolean;
  sessionVersion: number;
  via: "session" | "token";
  tokenId?: string;
  /** For a session: its sign-in time (epoch seconds), kept when the session is re-issued. */
  authTime?: number;
};
