/**
 * Which peers a target reaches, Godot's rule written once: 0 is everyone, -n everyone but peer n,
 * n peer n alone. The MultiplayerAPI fans packets out with it and the RPC layer decides with it
 * whether a call runs locally and whom its packet reaches.
 */

/** Whether `target` reaches peer `id`. */
export function targetIncludes(target: number, id: number): boolean {
  if (target > 0) return target === id;
  return target !== -id;
}

/** The peers in `peers` that `target` reaches, in `peers`' order, leaving out `except` (the sender). */
export function* targetPeers(target: number, peers: Iterable<number>, except: number): Generator<number> {
  for (const id of peers) if (id !== except && targetIncludes(target, id)) yield id;
}

/** Whether `target` reaches any of `peers` besides `except`. */
export function reachesAny(target: number, peers: Iterable<number>, except: number): boolean {
  return !targetPeers(target, peers, except).next().done;
}
