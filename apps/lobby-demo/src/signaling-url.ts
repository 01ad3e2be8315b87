/**
 * Which signaling server the demo uses: VITE_SIGNALING_URL (a deployment), else port 8787 (or
 * VITE_SIGNALING_PORT) beside the page. A `?signal=` link parameter (tests, local development) is
 * followed only to a server on the page's own host: the signaling server decides who a player's
 * host is, so an invite link must not be able to send players to a stranger's server.
 */
export function chooseSignalingUrl(
  fromLink: string | null,
  page: Pick<Location, "protocol" | "hostname">,
  env: { url?: string | undefined; port?: string | undefined },
): string {
  const fallback = env.url ?? `${page.protocol}//${page.hostname}:${env.port ?? "8787"}`;
  if (fromLink === null) return fallback;
  let url: URL;
  try {
    url = new URL(fromLink);
  } catch {
    return fallback;
  }
  const web = url.protocol === "http:" || url.protocol === "https:";
  if (web && url.hostname === page.hostname) return fromLink;
  console.warn(`starwire demo: ignoring ?signal=${fromLink}: not on this page's host`);
  return fallback;
}
