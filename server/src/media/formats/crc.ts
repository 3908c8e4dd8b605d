/**
 * The checksums the containers carry, all MSB-first (not reflected), table-driven:
 * CRC-8 and CRC-16 of FLAC frames (RFC 9639 §9.1.8 and §9.3) and CRC-32 of Ogg pages
 * (RFC 3533 §6).
 */

function table(width: 8 | 16 | 32, polynomial: number): Uint32Array {
  const top = 2 ** (width - 1);
  const entries = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte * 2 ** (width - 8);
    for (let bit = 0; bit < 8; bit++) {
      const carry = crc >= top;
      crc = (crc % top) * 2;
      if (carry) crc = (crc ^ polynomial) >>> 0;
    }
    entries[byte] = crc;
  }
  return entries;
}

const CRC8 = table(8, 0x07);
const CRC16 = table(16, 0x8005);
const CRC32 = table(32, 0x04c11db7);

export function crc8(bytes: Uint8Array, crc = 0): number {
  for (const byte of bytes) crc = CRC8[crc ^ byte] ?? 0;
  return crc;
}

/** One byte into a running CRC-16 (FLAC frames are checked byte by byte while scanning). */
export function crc16Step(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ (CRC16[(crc >>> 8) ^ byte] ?? 0);
}

export function crc32(bytes: Uint8Array, crc = 0): number {
  for (const byte of bytes) crc = ((crc << 8) ^ (CRC32[(crc >>> 24) ^ byte] ?? 0)) >>> 0;
  return crc;
}
