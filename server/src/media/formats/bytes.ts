/**
 * Fixed-width fields of untrusted bytes. Each read goes through a DataView, so an offset past
 * the end throws a RangeError (a bug in the caller, which checks bounds first) instead of
 * quietly reading `undefined`.
 */

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const u8 = (bytes: Uint8Array, at: number): number => view(bytes).getUint8(at);
export const u16be = (bytes: Uint8Array, at: number): number => view(bytes).getUint16(at);
export const u16le = (bytes: Uint8Array, at: number): number => view(bytes).getUint16(at, true);
export const i16be = (bytes: Uint8Array, at: number): number => view(bytes).getInt16(at);
export const u24be = (bytes: Uint8Array, at: number): number =>
  (view(bytes).getUint8(at) << 16) | view(bytes).getUint16(at + 1);
export const u32be = (bytes: Uint8Array, at: number): number => view(bytes).getUint32(at);
export const u32le = (bytes: Uint8Array, at: number): number => view(bytes).getUint32(at, true);
export const i32be = (bytes: Uint8Array, at: number): number => view(bytes).getInt32(at);
export const f32be = (bytes: Uint8Array, at: number): number => view(bytes).getFloat32(at);
export const f64be = (bytes: Uint8Array, at: number): number => view(bytes).getFloat64(at);
export const i64le = (bytes: Uint8Array, at: number): bigint => view(bytes).getBigInt64(at, true);

/** 64-bit sizes and offsets as numbers: exact up to 2^53, and anything larger exceeds any file. */
export const u64be = (bytes: Uint8Array, at: number): number =>
  u32be(bytes, at) * 2 ** 32 + u32be(bytes, at + 4);
export const u64le = (bytes: Uint8Array, at: number): number =>
  u32le(bytes, at + 4) * 2 ** 32 + u32le(bytes, at);

/** Unsigned big-endian integer of 1 to 8 bytes (EBML, MPEG-4 descriptors). */
export function uintBe(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + u8(bytes, at + i);
  return value;
}

/** `length` bytes as Latin-1 text (four-character codes, magic numbers); shorter at the end. */
export function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
