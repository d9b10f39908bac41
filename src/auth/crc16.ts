/** CRC-16/XMODEM (CCITT polynomial 0x1021, initial value 0, no reflection, no final XOR). */
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

/** The CRC-16/XMODEM of `data` (or of its first `length` bytes). */
export function crc16(data: Uint8Array, length = data.length): number {
  let crc = 0;
  for (let i = 0; i < length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ data[i]!) & 0xff]!;
  return crc;
}

/** True when the last two bytes of `data` are the little-endian CRC-16 of the bytes before them. */
export function validCrc16(data: Uint8Array): boolean {
  if (data.length < 2) return false;
  const n = data.length - 2;
  return crc16(data, n) === (data[n]! | (data[n + 1]! << 8));
}
