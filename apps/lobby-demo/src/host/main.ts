// `npm run host`: the demo game hosted by this Node process. Browser tabs join by the printed code.
import { startDedicatedHost } from "./dedicated-host.js";

const signalingUrl = process.env.SIGNALING_URL ?? "http://localhost:8787";
const demoUrl = process.env.DEMO_URL ?? "http://localhost:5173/";
const host = await startDedicatedHost({
  signalingUrl,
  ...(process.env.BIND_ADDRESS && { bindAddress: process.env.BIND_ADDRESS }),
  maxPlayers: Number(process.env.MAX_PLAYERS ?? 8),
  log: (line) => console.log(`[host] ${line}`),
}).catch((error: Error) => {
  console.error(`Could not open a room: ${error.message} (is the signaling server running? npm start)`);
  process.exit(1);
});
console.log(`Dedicated host ready. Room ${host.roomCode}: open ${demoUrl}?room=${host.roomCode}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    host.stop();
    console.log("[host] closed");
  });
}
