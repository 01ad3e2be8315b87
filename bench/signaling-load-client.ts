// The load generator for signaling-load.ts and signaling-redis.ts, run as one or more processes. Idle
// sockets are socket.io-client's; the churn speaks the same packets through wire-socket.ts, so the
// generator costs less than the server it loads. Every loop is bounded in count and time; it talks
// only to the server URL it is given (loopback).
import { io, type Socket } from "socket.io-client";
import { WireSocket } from "./lib/wire-socket.js";

const [urlArg, mode, countArg, secondsArg] = process.argv.slice(2) as [
  string,
  "idle" | "churn",
  string,
  string,
];
// "HOST_URL,CLIENT_URL": hosts on one signaling process, their clients on another (signaling-redis.ts).
const [url, clientUrl = url] = urlArg.split(",") as [string, string?];
const count = Number(countArg);
const seconds = Number(secondsArg);

function connect(to = url): Promise<Socket> {
  const socket = io(to, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 10_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => reject(error));
  });
}

type Answer = { ok: boolean; roomCode?: string };

/** Writes one JSON line; `then` runs once it is flushed (a pipe write is asynchronous). */
const report = (data: object, then?: () => void) => process.stdout.write(`${JSON.stringify(data)}\n`, then);

if (mode === "idle") {
  // Open `count` sockets in batches, report, hold them until told to stop (stdin closes).
  const sockets: Socket[] = [];
  let failed = 0;
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, count - i) }, () => connect()));
    for (const result of batch) {
      if (result.status === "fulfilled") sockets.push(result.value);
      else failed++;
    }
  }
  report({ held: sockets.length, failed });
  process.stdin.resume();
  process.stdin.once("end", () => {
    for (const socket of sockets) socket.close();
    process.exit(0);
  });
} else {
  // `count` workers, each repeatedly: a host creates a room, a client joins it, both leave. The
  // hosts connect first; the process reports {ready}, and starts when a line arrives on stdin, so
  // several generator processes load the server over the same window.
  const latencies: number[] = [];
  let creates = 0;
  let joins = 0;
  let errors = 0;
  const hosts = await Promise.all(Array.from({ length: count }, () => WireSocket.connect(url, 10_000)));
  report({ ready: true });
  await new Promise((resolve) => process.stdin.once("data", resolve));
  const deadline = Date.now() + seconds * 1000;
  const worker = async (host: WireSocket) => {
    while (Date.now() < deadline) {
      const client = await WireSocket.connect(clientUrl, 10_000);
      const created = (await host.emitWithAck("create", { maxPlayers: 4 }, 5000)) as Answer;
      if (!created.ok) {
        errors++;
        client.close();
        continue;
      }
      creates++;
      const start = performance.now();
      const joined = (await client.emitWithAck("join", { roomCode: created.roomCode }, 5000)) as Answer;
      latencies.push(performance.now() - start);
      if (joined.ok) joins++;
      else errors++;
      client.close();
      await host.emitWithAck("leave", undefined, 5000);
    }
    host.close();
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(hosts.map(worker));
  const cpu = process.cpuUsage(cpuBefore);
  report(
    {
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      creates,
      joins,
      errors,
      latencies,
    },
    () => process.exit(0),
  );
}
