// The ICE gathering watch over a fake RTCPeerConnection that plays what each platform reports
// (tests/node/turn.test.ts and tests/e2e/turn.spec.ts check the real ones against coturn).
import { describe, expect, it } from "vitest";
import type { IceServer } from "../src/signaling/protocol.js";
import { expiredCredentials, type GatheringFailure, IceWatch } from "../src/transport/webrtc/ice-watch.js";

/** Just enough of an RTCPeerConnection: events, a gathering state and a local description. */
class FakePeerConnection extends EventTarget {
  static last: FakePeerConnection | null = null;
  iceGatheringState: RTCIceGatheringState = "new";
  localDescription: { sdp: string } | null = null;
  constructor(readonly config?: RTCConfiguration) {
    super();
    FakePeerConnection.last = this;
  }
  candidate(line: string | null): void {
    this.dispatchEvent(Object.assign(new Event("icecandidate"), { candidate: line && { candidate: line } }));
  }
  error(errorCode: number, url: string): void {
    this.dispatchEvent(Object.assign(new Event("icecandidateerror"), { errorCode, errorText: "text", url }));
  }
  gathered(): void {
    this.iceGatheringState = "complete";
    this.dispatchEvent(new Event("icegatheringstatechange"));
  }
}

const TURN_URL = "turn:127.0.0.1:3478?transport=udp";
const turn = (username: string): IceServer => ({ urls: [TURN_URL], username, credential: "c" });
const future = () => `${Math.floor(Date.now() / 1000) + 3600}-abcd.2`;
const RELAY = "candidate:1 1 udp 1 127.0.0.2 50000 typ relay raddr 0.0.0.0 rport 0";

function watched(config: RTCConfiguration) {
  const failures: GatheringFailure[] = [];
  const refusals: string[] = [];
  const watch = new IceWatch(config, {
    failed: (failure) => failures.push(failure),
    turnRefused: (url) => refusals.push(url),
  });
  const implementation = watch.wrap({
    RTCPeerConnection: FakePeerConnection,
    RTCSessionDescription: class {},
    RTCIceCandidate: class {},
  })!;
  const Watched = implementation.RTCPeerConnection as typeof FakePeerConnection;
  const pc = new Watched(config);
  return { pc, failures, refusals };
}

describe("IceWatch", () => {
  it("hands out the implementation's own RTCPeerConnection, configured as asked", () => {
    const { pc } = watched({ iceServers: [turn(future())] });
    expect(pc).toBeInstanceOf(FakePeerConnection);
    expect(pc.config?.iceServers).toEqual([turn(future())]);
  });

  it("relay-only, a 401 and no candidate (Chromium): turn_auth_failed when gathering ends", () => {
    const { pc, failures, refusals } = watched({ iceTransportPolicy: "relay", iceServers: [turn(future())] });
    pc.error(401, TURN_URL);
    expect(refusals).toEqual([TURN_URL]);
    expect(failures).toEqual([]);
    pc.candidate(null);
    pc.gathered();
    expect(failures).toEqual([
      {
        reason: "turn_auth_failed",
        message: `the TURN server refused this peer's credentials (401 from ${TURN_URL}): relay-only, so no connection is possible`,
      },
    ]);
    pc.gathered();
    expect(failures).toHaveLength(1);
  });

  it("relay-only, no error and no candidate (node-datachannel): ice_failed naming TURN credentials", () => {
    const expired = `${Math.floor(Date.now() / 1000) - 60}-abcd.2`;
    const { pc, failures, refusals } = watched({ iceTransportPolicy: "relay", iceServers: [turn(expired)] });
    pc.gathered();
    expect(refusals).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.reason).toBe("ice_failed");
    expect(failures[0]!.message).toMatch(
      /^relay-only and no relay candidate: the TURN server refused the allocation; its credential expired at \d{4}-.*most often wrong or expired TURN credentials\)$/,
    );
  });

  it("relay-only with other TURN errors names them; without TURN servers says so", () => {
    const { pc, failures } = watched({ iceTransportPolicy: "relay", iceServers: [turn(future())] });
    pc.error(701, TURN_URL);
    pc.gathered();
    expect(failures[0]).toEqual({
      reason: "ice_failed",
      message: `relay-only and no relay candidate: the TURN server refused the allocation: 701 text from ${TURN_URL}`,
    });
    const bare = watched({ iceTransportPolicy: "relay", iceServers: [] });
    bare.pc.gathered();
    expect(bare.failures[0]).toEqual({
      reason: "ice_failed",
      message: "relay-only (iceTransportPolicy: relay) but no TURN server is configured",
    });
  });

  it("is satisfied by a relay candidate, even one only in the local description (node-datachannel's order)", () => {
    const early = watched({ iceTransportPolicy: "relay", iceServers: [turn(future())] });
    early.pc.candidate(RELAY);
    early.pc.gathered();
    const late = watched({ iceTransportPolicy: "relay", iceServers: [turn(future())] });
    late.pc.localDescription = { sdp: `v=0\r\na=candidate:${RELAY.slice("candidate:".length)}\r\n` };
    late.pc.gathered();
    expect([...early.failures, ...late.failures]).toEqual([]);
  });

  it("without relay-only, reports a refusal but never fails a connection that may go direct", () => {
    const { pc, failures, refusals } = watched({ iceServers: [turn(future())] });
    pc.error(401, TURN_URL);
    pc.gathered();
    expect(refusals).toEqual([TURN_URL]);
    expect(failures).toEqual([]);
  });
});

describe("expiredCredentials", () => {
  it("notes a TURN REST username whose expiry has passed, and nothing else", () => {
    const now = Date.UTC(2030, 0, 1);
    const past = Math.floor(now / 1000) - 1;
    expect(expiredCredentials([turn(`${past}-abcd.2`)], now)).toBe(
      `; its credential expired at ${new Date(past * 1000).toISOString()}`,
    );
    expect(expiredCredentials([turn(String(past))], now)).toContain("expired at");
    expect(expiredCredentials([turn(`${past + 10}-abcd.2`)], now)).toBe("");
    expect(expiredCredentials([turn("alice")], now)).toBe("");
    expect(expiredCredentials([{ urls: "stun:127.0.0.1", username: String(past) }], now)).toBe("");
  });
});
