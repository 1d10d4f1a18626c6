import type { ApiRequest } from "./api-request";

/**
 * Reads a request body into one Buffer, refusing it with `tooLarge()` as soon as more than `max`
 * bytes have arrived (checked while streaming, not after buffering everything). The JSON body
 * reader and the email provider webhook's raw message share it.
 */
export async function readBodyLimited(req: ApiRequest, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}
