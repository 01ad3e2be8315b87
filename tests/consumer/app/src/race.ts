import { NetNode, networked, rpc } from "starwire";

/** The first player to grab this many coins wins. */
export const COINS_TO_WIN = 3;

/**
 * A coin race, refereed by the host: anyone may claim a coin (an "any_peer" RPC to the host), only
 * the host counts them and announces the standings (an "authority" RPC) and the leader (an rset).
 */
export class Race extends NetNode<Race> {
  scores: Array<[peer: number, coins: number]> = [];
  winner = 0;
  onChange: () => void = () => {};

  @networked leader = 0;

  constructor() {
    super("race");
  }

  @rpc("any_peer", "call_local")
  claim(): void {
    if (!this.multiplayer.isServer() || this.winner !== 0) return;
    const from = this.multiplayer.remoteSenderId;
    const coins = new Map(this.scores);
    coins.set(from, (coins.get(from) ?? 0) + 1);
    const scores = [...coins].sort(([a], [b]) => a - b);
    const [leader] = [...coins].sort(([, a], [, b]) => b - a)[0]!;
    this.leader = leader;
    this.rset("leader", leader);
    this.rpc("standings", scores, (coins.get(from) ?? 0) >= COINS_TO_WIN ? from : 0);
  }

  @rpc("call_local")
  standings(scores: Array<[peer: number, coins: number]>, winner: number): void {
    this.scores = scores;
    this.winner = winner;
    this.onChange();
  }
}
