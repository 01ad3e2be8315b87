// The part of simple-peer's prebuilt bundle the raw-connect baseline uses.
declare module "simple-peer/simplepeer.min.js" {
  interface Instance {
    signal(data: object): void;
    on(event: "signal", listener: (data: { type?: string }) => void): void;
    on(event: "close" | "error", listener: () => void): void;
    once(event: "connect", listener: () => void): void;
    destroy(): void;
  }
  const SimplePeer: new (options: {
    initiator: boolean;
    trickle: boolean;
    config: RTCConfiguration;
  }) => Instance;
  export default SimplePeer;
}
