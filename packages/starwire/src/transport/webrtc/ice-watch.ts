import type { IceServer } from "../../signaling/protocol.js";
import type { WebRTCImplementation } from "./peer-connection.js";

/**
 * Why a connection can never open, known as soon as ICE gathering ends: `turn_auth_failed` when
 * the TURN server refused this peer's credentials, `ice_failed` when a relay-only connection got
 * no relay candidate for another reason.
 */
export interface GatheringFailure {
  reason: "turn_auth_failed" | "ice_failed";
  message: string;
}

/** What a TURN server answers to credentials it does not accept (RFC 8656 §7.1, and coturn). */
const UNAUTHORIZED = 401;

/**
 * Watches the ICE gathering of one connection: the TURN servers' refusals and, in relay-only mode,
 * a gathering that ended without a single candidate (no pair can ever form: failing at once beats
 * waiting for a timeout).
 *
 * What each platform says: Chromium fires `icecandidateerror` with `errorCode` 401 when a TURN
 * server refuses the credentials (wrong or expired), then ends gathering. node-datachannel
 * (libdatachannel) fires no `icecandidateerror`: a refusal only shows as a gathering that ends at
 * once with no relay candidate (an unreachable TURN server leaves gathering running instead).
 */
export class IceWatch {
  readonly #relayOnly: boolean;
  readonly #iceServers: readonly IceServer[];
  readonly #failed: (failure: GatheringFailure) => void;
  readonly #turnRefused: (url: string) => void;
  #done = false;

  constructor(
    config: RTCConfiguration,
    handlers: { failed(failure: GatheringFailure): void; turnRefused(url: string): void },
  ) {
    this.#relayOnly = config.iceTransportPolicy === "relay";
    this.#iceServers = (config.iceServers ?? []) as IceServer[];
    this.#failed = handlers.failed;
    this.#turnRefused = handlers.turnRefused;
  }

  /**
   * The WebRTC implementation to build the connection with, whose RTCPeerConnection reports to this
   * watch. `implementation` undefined: the browser's own (what simple-peer would pick).
   */
  wrap(implementation: WebRTCImplementation | undefined): WebRTCImplementation | undefined {
    const base = implementation ?? browserImplementation();
    if (!base) return implementation;
    const Base = base.RTCPeerConnection as typeof RTCPeerConnection;
    const watch = this;
    class WatchedPeerConnection extends Base {
      constructor(config?: RTCConfiguration) {
        super(config);
        watch.#attach(this);
      }
    }
    return { ...base, RTCPeerConnection: WatchedPeerConnection };
  }

  #attach(pc: RTCPeerConnection): void {
    let candidates = 0;
    const refused: string[] = [];
    /** Other errors from TURN servers, for the message. */
    const errors: string[] = [];
    pc.addEventListener("icecandidate", (event) => {
      if ((event as RTCPeerConnectionIceEvent).candidate?.candidate) candidates++;
    });
    pc.addEventListener("icecandidateerror", (event) => {
      const { errorCode, errorText, url } = event as RTCPeerConnectionIceErrorEvent;
      if (this.#done || !/^turns?:/i.test(url ?? "")) return;
      if (errorCode !== UNAUTHORIZED) {
        errors.push(`${errorCode} ${errorText} from ${url}`.trim());
        return;
      }
      refused.push(url);
      this.#turnRefused(url);
    });
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState !== "complete" || this.#done || !this.#relayOnly) return;
      // node-datachannel may report the end of gathering before its last candidate event: the
      // local description, which holds every gathered candidate, is the one to count.
      const described = (pc.localDescription?.sdp ?? "").match(/^a=candidate:/gm)?.length ?? 0;
      if (candidates > 0 || described > 0) return;
      this.#done = true;
      this.#failed(this.#relayOnlyFailure(refused, errors));
    });
  }

  #relayOnlyFailure(refused: readonly string[], errors: readonly string[]): GatheringFailure {
    const expired = expiredCredentials(this.#iceServers);
    if (refused.length > 0) {
      return {
        reason: "turn_auth_failed",
        message: `the TURN server refused this peer's credentials (401 from ${refused[0]})${expired}: relay-only, so no connection is possible`,
      };
    }
    const turn = this.#iceServers.some((server) => turnUrls(server).length > 0);
    // node-datachannel reports no TURN error at all: gathering just ends without a relay candidate.
    const why =
      errors.length > 0
        ? `: ${errors.join("; ")}`
        : " (the platform did not say why; most often wrong or expired TURN credentials)";
    return {
      reason: "ice_failed",
      message: turn
        ? `relay-only and no relay candidate: the TURN server refused the allocation${expired}${why}`
        : "relay-only (iceTransportPolicy: relay) but no TURN server is configured",
    };
  }
}

/**
 * A note for an error message when a TURN credential in `iceServers` has expired: TURN REST
 * usernames start with their expiry in Unix seconds (signaling-server/README.md, "TURN").
 */
export function expiredCredentials(iceServers: readonly IceServer[], now = Date.now()): string {
  for (const server of iceServers) {
    if (turnUrls(server).length === 0) continue;
    const expiry = /^(\d{9,})(\D|$)/.exec(server.username ?? "")?.[1];
    if (expiry !== undefined && Number(expiry) * 1000 < now) {
      return `; its credential expired at ${new Date(Number(expiry) * 1000).toISOString()}`;
    }
  }
  return "";
}

function turnUrls(server: IceServer): string[] {
  const urls = typeof server.urls === "string" ? [server.urls] : server.urls;
  return urls.filter((url) => /^turns?:/i.test(url));
}

/** The browser's WebRTC, as simple-peer finds it; undefined where there is none (Node). */
function browserImplementation(): WebRTCImplementation | undefined {
  const scope = globalThis as Partial<WebRTCImplementation>;
  if (typeof scope.RTCPeerConnection !== "function") return undefined;
  return {
    RTCPeerConnection: scope.RTCPeerConnection,
    RTCSessionDescription: scope.RTCSessionDescription,
    RTCIceCandidate: scope.RTCIceCandidate,
  };
}
