// Type-checked only (moduleResolution NodeNext): the Node side of both packages as a user imports it.
import { multiplayer, WebRTCMultiplayerPeer } from "starwire";
import type { WebRTCMultiplayerPeer as NodePeer } from "starwire/node";
import { configFromEnv, defaultConfig } from "starwire-signaling/config";
import { createSignalingServer } from "starwire-signaling/server";

const peer: NodePeer = new WebRTCMultiplayerPeer({
  signalingUrl: "http://127.0.0.1:8787",
  bindAddress: "127.0.0.1",
});
const server = createSignalingServer({ ...defaultConfig, ...configFromEnv({ PORT: "0" }) });
export const started: Promise<{ port: number; url: string }> = server.listen();
export { multiplayer, peer };
