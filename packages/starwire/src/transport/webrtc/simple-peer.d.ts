// simple-peer ships no types; Starwire describes the part it uses in peer-connection.ts.
declare module "simple-peer" {
  const SimplePeer: unknown;
  export default SimplePeer;
}
declare module "simple-peer/simplepeer.min.js" {
  const SimplePeer: unknown;
  export default SimplePeer;
}
