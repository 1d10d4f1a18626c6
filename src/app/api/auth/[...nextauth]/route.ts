import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { authOptions } from "@/server/auth/nextauth";
import { assertSignInAllowed } from "@/server/auth/signin-throttle";
import { clientIp } from "@/server/ratelimit/client-ip";
import { AppError } from "@/server/core/errors";
import { errorResponse } from "@/server/http/error-response";

type Ctx = { params: Promise<{ nextauth: string[] }> };

async function handler(req: NextRequest, ctx: Ctx): Promise<Response> {
  return NextAuth(req, ctx, authOptions()) as Promise<Response>;
}

/**
 * The credentials callback takes the sign-in form's POST only; NextAuth answered a GET there with
 * a 500. Every other NextAuth GET (session, csrf, providers, signin pages) passes through.
 */
export async function GET(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { nextauth } = await ctx.params;
  if (nextauth[0] === "callback" && nextauth[1] === "credentials") {
    return errorResponse(
      new AppError("method_not_allowed", "sign in with a POST of the sign-in form", undefined, { Allow: "POST" }),
    );
  }
  return handler(req, ctx);
}

/**
 * The sign-in form posts here. A spent failure budget answers 429 rate_limited with Retry-After
 * before NextAuth runs; failures themselves are counted in verifyCredentials.
 */
export async function POST(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { nextauth } = await ctx.params;
  if (nextauth[0] === "callback" && nextauth[1] === "credentials") {
    const form = await req
      .clone()
      .formData()
      .catch(() => null);
    const email = form?.get("email");
    try {
      await assertSignInAllowed(typeof email === "string" ? email : "", clientIp(req.headers));
    } catch (err) {
      if (err instanceof AppError) return errorResponse(err);
      throw err;
    }
  }
  return handler(req, ctx);
}
