import type { Socket } from "socket.io";
import { clientAddress, ProxyAddresses } from "./client-address.js";
import type { SignalingConfig } from "./config.js";
import type { SignalingLog } from "./logger.js";

/**
 * The address a new connection counts under for the per-address limits (client-address.ts), and
 * the operator's warnings about proxies on the way: X-Forwarded-For with TRUST_PROXY=0 (logged
 * once), or from a peer that is not a trusted proxy (aggregated).
 */
export class ConnectionAddresses {
  #warnedAboutProxy = false;
  readonly #proxies: ProxyAddresses;

  constructor(
    private readonly config: SignalingConfig,
    private readonly logs: SignalingLog,
  ) {
    this.#proxies = new ProxyAddresses(config.trustedProxyAddresses);
  }

  of(socket: Socket): string {
    const { config, logs } = this;
    const { headers } = socket.handshake;
    // Behind a proxy without TRUST_PROXY every player shares the proxy's address and its limits.
    if (!this.#warnedAboutProxy && config.trustedProxies === 0 && headers["x-forwarded-for"] !== undefined) {
      this.#warnedAboutProxy = true;
      logs.info(
        "warning: a connection came with X-Forwarded-For but TRUST_PROXY=0, so per-address limits count the proxy's address for everyone behind it; set TRUST_PROXY to the number of proxies in front if there are any (logged once)",
      );
    }
    if (
      config.trustedProxies > 0 &&
      headers["x-forwarded-for"] !== undefined &&
      !this.#proxies.has(socket.handshake.address)
    ) {
      logs.refusal(
        "X-Forwarded-For ignored",
        "X-Forwarded-For ignored: the connection does not come from TRUSTED_PROXY_ADDRESSES, so it counts under its own address (a client reaching the server directly, or a proxy missing from that list)",
        `address=${socket.handshake.address}`,
      );
    }
    return clientAddress(socket.handshake.address, headers, config.trustedProxies, this.#proxies);
  }
}
