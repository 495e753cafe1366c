// The book's live socket (see ws.py): a snapshot, then events with `seq`. It reconnects by itself
// after a drop and resumes with ?after=SEQ&epoch=E, so no event is lost or seen twice.
const FINAL = new Set([4401, 4403, 4404, 4400]);

export class BookSocket {
  constructor(bookId, handlers) {
    this.bookId = bookId;
    this.handlers = handlers;
    this.seq = null;
    this.epoch = null;
    this.attempt = 0;
    this.stopped = false;
    this.ws = null;
    this.connects = 0;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let url = `${scheme}://${location.host}/ws/books/${encodeURIComponent(this.bookId)}`;
    if (this.seq !== null) {
      url += `?after=${this.seq}`;
      if (this.epoch) url += `&epoch=${encodeURIComponent(this.epoch)}`;
    }
    return url;
  }

  open() {
    if (this.stopped) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    this.connects += 1;
    ws.addEventListener("open", () => { this.attempt = 0; this.handlers.onOpen?.(this.connects > 1); });
    ws.addEventListener("message", (message) => this.receive(ws, message));
    ws.addEventListener("close", (event) => this.closed(ws, event));
  }

  receive(ws, message) {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (event.type === "ping") { ws.send(JSON.stringify({ type: "pong" })); return; }
    if (event.type === "snapshot") {
      this.seq = event.seq;
      this.epoch = event.epoch;
      this.handlers.onSnapshot?.(event);
      return;
    }
    if (event.type === "resumed") {
      if (event.epoch) this.epoch = event.epoch;
      this.handlers.onResumed?.(event);
      return;
    }
    if (event.type === "error" && event.seq === undefined) {
      this.lastError = event.error;
      return;
    }
    if (typeof event.seq === "number") {
      if (this.seq !== null && event.seq <= this.seq) return; // already applied
      this.seq = event.seq;
    }
    this.handlers.onEvent?.(event);
  }

  closed(ws, event) {
    if (ws !== this.ws || this.stopped) return;
    if (FINAL.has(event.code)) {
      this.stopped = true;
      this.handlers.onFatal?.(event.code, this.lastError);
      return;
    }
    if (event.code === 4409) { this.seq = null; this.epoch = null; }
    this.handlers.onDrop?.();
    const delay = Math.min(8000, 250 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    setTimeout(() => this.open(), delay);
  }

  close() {
    this.stopped = true;
    if (this.ws) this.ws.close(1000);
  }
}
