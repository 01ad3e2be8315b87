import { HOST_PEER_ID } from "../signaling/protocol.js";
import { StarPeer } from "./star-peer.js";

/**
 * The peer a MultiplayerAPI has when none is set (Godot's OfflineMultiplayerPeer): the lone
 * server of a game nobody else is in, so single-player code paths run unchanged.
 */
export class OfflineMultiplayerPeer extends StarPeer {
  constructor() {
    super();
    this.setState("connected", HOST_PEER_ID);
  }

  send(): void {}
  /** Sends nothing, so nothing waits. */
  discardWaiting(): void {}
  disconnectPeer(): void {}
  close(): void {}
  protected refuseNewConnectionsChanged(): void {}
}
