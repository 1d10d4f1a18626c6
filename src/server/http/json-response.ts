// A JSON Response whose text is also kept beside it, so npm start's own server writes that text
// with one res.end() instead of reading the Response's body stream back (a third of the cost of
// answering a list page on the own server; scripts/bench/router-compare.ts). Next's route files
// read the stream as for any Response: the bytes are the same.
// No "server-only": the own server and route.ts import it, nothing else needs it.

const TEXT = new WeakMap<Response, string>();

/** Response.json(value, { status, headers }), remembering the serialized text. */
export function jsonResponse(value: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
  const text = JSON.stringify(value);
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  const response = new Response(text, { status: init.status, headers });
  TEXT.set(response, text);
  return response;
}

/** The text jsonResponse made `response` from, or undefined for any other Response. */
export function jsonText(response: Response): string | undefined {
  return TEXT.get(response);
}
