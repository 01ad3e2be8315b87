// node-datachannel's WebRTC for tests that look at the connections themselves: their statistics
// (the selected candidate pair), their candidates, and closing one.
import * as polyfill from "node-datachannel/polyfill";

export interface Recorded {
  pc: RTCPeerConnection;
  config: RTCConfiguration;
  /** The description the other side sent, as applied. */
  remoteSdp?: string;
}

export interface RecordingWebRTC {
  /** For WebRTCPeerOptions.wrtc. */
  wrtc: { RTCPeerConnection: unknown; RTCSessionDescription: unknown; RTCIceCandidate: unknown };
  /** Every connection made, in order. */
  connections: Recorded[];
  /** The connections that are connected now. */
  open(): Recorded[];
}

/**
 * node-datachannel's WebRTC, as the SDK's Node entry builds it (descriptions handed over as plain
 * objects), recording every RTCPeerConnection and the configuration it was made with, so a test can
 * read its statistics and close it.
 */
export function recordingWebRTC(): RecordingWebRTC {
  const connections: Recorded[] = [];
  class RecordedPeerConnection extends polyfill.RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config);
      connections.push({ pc: this as unknown as RTCPeerConnection, config: structuredClone(config ?? {}) });
    }
    override async setRemoteDescription(description: RTCSessionDescriptionInit) {
      const recorded = connections.find(({ pc }) => pc === (this as unknown as RTCPeerConnection));
      if (recorded) recorded.remoteSdp = description.sdp;
      return super.setRemoteDescription(description);
    }
    override async createOffer() {
      const { type, sdp } = await super.createOffer();
      return { type, sdp };
    }
    override async createAnswer() {
      const { type, sdp } = await super.createAnswer();
      return { type, sdp };
    }
  }
  const wrtc = {
    RTCPeerConnection: RecordedPeerConnection,
    RTCSessionDescription: polyfill.RTCSessionDescription,
    RTCIceCandidate: polyfill.RTCIceCandidate,
  };
  const open = () => connections.filter(({ pc }) => pc.connectionState === "connected");
  return { wrtc, connections, open };
}

/** The candidate types of the pair ICE selected, from getStats (node-datachannel's or a browser's). */
export async function selectedPair(pc: RTCPeerConnection): Promise<{ local: string; remote: string }> {
  const report = await pc.getStats();
  for (const stats of report.values()) {
    if (stats.type !== "transport" || !stats.selectedCandidatePairId) continue;
    const pair = report.get(stats.selectedCandidatePairId);
    return {
      local: report.get(pair.localCandidateId).candidateType,
      remote: report.get(pair.remoteCandidateId).candidateType,
    };
  }
  throw new Error("no selected candidate pair");
}

/** The candidate types a connection offered (its own side's candidates). */
export function localCandidateTypes(pc: RTCPeerConnection): string[] {
  const ext = pc as unknown as { ext_localCandidates: RTCIceCandidate[] };
  return ext.ext_localCandidates.map((candidate) => /typ (\w+)/.exec(candidate.candidate)?.[1] ?? "?");
}
