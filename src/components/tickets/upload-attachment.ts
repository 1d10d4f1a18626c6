import type { UploadFailure } from "@/lib/attachment-display";

export type UploadOutcome = { ok: true; id: string } | { ok: false; failure: UploadFailure };

/**
 * POST /api/v1/tickets/:id/attachments with one file, tied to a comment. XMLHttpRequest rather
 * than fetch because only it reports upload progress; the session cookie authenticates and the
 * browser's Origin header passes the API's CSRF check, as for the JSON calls.
 */
export function uploadAttachment(
  ticketId: string,
  commentId: string,
  file: File,
  onProgress: (loaded: number, total: number) => void,
): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/tickets/${encodeURIComponent(ticketId)}/attachments`);
    xhr.setRequestHeader("accept", "application/json");
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status === 201 && body?.id) {
        resolve({ ok: true, id: body.id });
        return;
      }
      resolve({
        ok: false,
        failure: { status: xhr.status, code: body?.error?.code ?? "internal", message: body?.error?.message ?? "" },
      });
    };
    // A server that refuses early (413 on the declared length) may close the connection while the
    // browser is still sending, which surfaces here rather than as a response.
    xhr.onerror = () => resolve({ ok: false, failure: { status: 0, code: "network", message: "" } });
    xhr.onabort = xhr.onerror;
    xhr.ontimeout = xhr.onerror;
    const form = new FormData();
    form.append("commentId", commentId);
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

type Answer = { id?: string; error?: { code?: string; message?: string } };

function parseJson(text: string): Answer | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null ? (v as Answer) : null;
  } catch {
    return null;
  }
}
