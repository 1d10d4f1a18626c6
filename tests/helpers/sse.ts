// Reads a Server-Sent Events response as it streams (the live endpoint never ends by itself).
export type SseEvent = { event: string; data: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export type SseReader = {
  events: SseEvent[];
  /** The first event (from the start) matching pred; fails after ms. */
  waitFor: (pred: (e: SseEvent) => boolean, ms?: number) => Promise<SseEvent>;
  close: () => Promise<void>;
};

export function readSse(res: Response, abort?: AbortController): SseReader {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buf = "";
  let done = false;
  void (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buf += decoder.decode(value, { stream: true });
        let at: number;
        while ((at = buf.indexOf("\n\n")) !== -1) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // cancelled
    }
    done = true;
  })();
  return {
    events,
    async waitFor(pred, ms = 5_000) {
      const until = Date.now() + ms;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > until || done)
          throw new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      abort?.abort();
      await reader.cancel().catch(() => undefined);
    },
  };
}
