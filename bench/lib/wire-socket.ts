// A socket.io client for load generation only: the packets socket.io-client sends over its
// WebSocket transport (engine.io 4 / socket.io 5 text frames: open, connect, event with ack,
// ack, ping/pong, disconnect), with none of its machinery (managers, reconnection, buffers,
// timers per emit). The server does exactly the work a socket.io-client would cost it; the
// generator costs a fraction, so on a 2-core machine the server, not its load, is what is measured.
import WebSocket from "ws";

type Ack = (reply: unknown) => void;

export class WireSocket {
  readonly #ws: WebSocket;
  readonly #acks = new Map<number, Ack>();
  #nextAck = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /** Opens the WebSocket and joins the main namespace; rejects on any failure before that. */
  static connect(url: string, timeoutMs: number): Promise<WireSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    const socket = new WireSocket(ws);
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error("connect timeout")), timeoutMs);
      ws.once("error", fail);
      ws.once("close", () => fail(new Error("closed before connecting")));
      ws.on("message", (data) => {
        const packet = data.toString();
        if (packet.startsWith("0")) ws.send("40");
        else if (packet.startsWith("40")) {
          clearTimeout(timer);
          ws.removeAllListeners("error").removeAllListeners("close");
          ws.on("error", () => socket.#failAcks());
          ws.on("close", () => socket.#failAcks());
          resolve(socket);
        } else if (packet.startsWith("44")) fail(new Error(`connect_error ${packet.slice(2)}`));
        else socket.#receive(packet);
      });
    });
  }

  /** Emits `event` and resolves with the server's first ack argument, or rejects after `timeoutMs`. */
  emitWithAck(event: string, data: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.#nextAck++;
    const args = data === undefined ? [event] : [event, data];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#acks.delete(id);
        reject(new Error(`${event}: no ack`));
      }, timeoutMs);
      this.#acks.set(id, (reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      });
      this.#ws.send(`42${id}${JSON.stringify(args)}`);
    });
  }

  /** Leaves the namespace the way socket.io-client's `close()` does, then closes the WebSocket. */
  close(): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send("41");
    this.#ws.close();
  }

  #receive(packet: string): void {
    if (packet === "2") this.#ws.send("3");
    else if (packet.startsWith("43")) {
      const json = packet.indexOf("[");
      const ack = this.#acks.get(Number(packet.slice(2, json)));
      if (!ack) return;
      this.#acks.delete(Number(packet.slice(2, json)));
      ack((JSON.parse(packet.slice(json)) as unknown[])[0]);
    }
  }

  #failAcks(): void {
    for (const ack of this.#acks.values()) ack(new Error("socket closed"));
    this.#acks.clear();
  }
}
