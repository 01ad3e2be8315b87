import { createHmac } from "node:crypto";
import type { IceServer } from "starwire-protocol";

export interface TurnSettings {
  urls: readonly string[];
  secret: string;
  ttlSeconds: number;
}

/**
 * A TURN server entry with a credential of its own for one player, in the TURN REST scheme that
 * coturn checks with `use-auth-secret` (and `static-auth-secret` = the same secret):
 *
 * - username: `<expiry>-<label>`, the expiry in Unix seconds first. The TURN server reads the
 *   leading digits as the expiry and refuses the credential after it. The label names the player
 *   in the TURN server's logs (`<room tag>.<peer id>`). The separator is `-`, not coturn's default
 *   `:`: node-datachannel folds credentials into the URL (`turn:user:pass@host`) and a `:` in the
 *   username breaks it there. coturn reads the expiry with its default `rest-api-separator` (no `:`
 *   in the username: it takes the leading digits) or with `rest-api-separator=-`.
 * - credential: base64(HMAC-SHA1(secret, username)), which the TURN server recomputes.
 */
export function mintTurnCredentials(settings: TurnSettings, label: string, nowMs = Date.now()): IceServer {
  const expiry = Math.floor(nowMs / 1000) + settings.ttlSeconds;
  const username = `${expiry}-${label}`;
  const credential = createHmac("sha1", settings.secret).update(username).digest("base64");
  return { urls: [...settings.urls], username, credential };
}
