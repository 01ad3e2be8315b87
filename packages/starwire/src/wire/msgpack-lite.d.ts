// msgpack-lite ships no types; this describes the part Starwire uses.
declare module "msgpack-lite" {
  interface Codec {
    addExtPacker<T>(
      type: number,
      type_class: abstract new (...args: never[]) => T,
      packer: (value: T) => Uint8Array,
    ): void;
    addExtUnpacker(type: number, unpacker: (payload: Uint8Array) => unknown): void;
  }
  interface CodecOptions {
    usemap?: boolean;
    uint8array?: boolean;
    binarraybuffer?: boolean;
    preset?: boolean;
  }
  interface MsgpackDecoder {
    on(event: "data", listener: (value: unknown) => void): void;
    off(event: "data", listener: (value: unknown) => void): void;
    decode(chunk: Uint8Array): void;
    buffer: Uint8Array | undefined;
    offset: number;
  }
  const msgpack: {
    createCodec(options?: CodecOptions): Codec;
    encode(value: unknown, options?: { codec?: Codec }): Uint8Array;
    decode(bytes: Uint8Array, options?: { codec?: Codec }): unknown;
    Decoder: new (options?: { codec?: Codec }) => MsgpackDecoder;
  };
  export default msgpack;
}
