// The shared token of a server started with --token-file.
//
// The operator opens the page as .../#token=<token>: a fragment is never sent to the HTTP server,
// so it is in no request and no log. The page takes it out of the address bar at once, keeps it
// in sessionStorage (this tab only) under the websocket URL it belongs to, so a page told to use
// another websocket (?ws=) never sends it there, and offers it on the handshake as the
// subprotocol `cycsrv.token.<base64url>` (browsers cannot set headers on a websocket), next to
// `cycsrv`, which the server selects.

const STORAGE_PREFIX = "cycsrv.token:";
const SUBPROTOCOL = "cycsrv";
const TOKEN_SUBPROTOCOL_PREFIX = "cycsrv.token.";

/** The token in the URL fragment (`#token=...`), removed from the address bar; null if there is none. */
export function takeTokenFromFragment() {
  const parts = location.hash.replace(/^#/, "").split("&");
  const found = parts.find((part) => part.startsWith("token="));
  if (found === undefined) return null;
  const rest = parts.filter((part) => part !== found).join("&");
  history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  const raw = found.slice("token=".length);
  try {
    return decodeURIComponent(raw) || null;
  } catch {
    return raw || null;  // not percent-encoded after all: take it as typed
  }
}

/** The token kept in this tab for the websocket at `wsUrl`, or null. */
export function storedToken(wsUrl) {
  try {
    return sessionStorage.getItem(STORAGE_PREFIX + wsUrl) || null;
  } catch {
    return null;  // storage disabled: the token lasts as long as the page
  }
}

/** Keep `token` in this tab for the websocket at `wsUrl` (an empty token forgets it). */
export function storeToken(wsUrl, token) {
  try {
    if (token) sessionStorage.setItem(STORAGE_PREFIX + wsUrl, token);
    else sessionStorage.removeItem(STORAGE_PREFIX + wsUrl);
  } catch {
    // storage disabled: nothing to keep it in
  }
}

/** The subprotocols to offer on the handshake: none without a token (as clients of the original server do). */
export function subprotocolsFor(token) {
  if (!token) return [];
  let binary = "";
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  const base64url = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + base64url];
}
