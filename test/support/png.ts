/**
 * Reads the pixels of a PNG as Chromium's `--screenshot` writes it (8 bits per channel, RGB or
 * RGBA, not interlaced), so that a test can tell a drawn page from a blank one. Only what the
 * tests need: https://www.w3.org/TR/png-3/ for the chunks and the five row filters.
 */
import { inflateSync } from "node:zlib";

export interface Pixels {
  width: number;
  height: number;
  /** Channels per pixel: 3 (RGB) or 4 (RGBA). */
  channels: number;
  data: Buffer;
}

export function readPng(file: Buffer): Pixels {
  if (!file.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    throw new Error("not a PNG file");
  let width = 0;
  let height = 0;
  let channels = 0;
  const compressed: Buffer[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0)
        throw new Error(`PNG of bit depth ${depth}, colour type ${colour}, interlace ${interlace}: not read here`);
      channels = colour === 6 ? 4 : 3;
    }
    if (type === "IDAT") compressed.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(compressed));
  const stride = width * channels;
  const data = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? data[y * stride + x - channels] : 0;
      const up = y > 0 ? data[(y - 1) * stride + x] : 0;
      const upLeft = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels] : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      data[y * stride + x] = (row[x] + predicted) & 0xff;
    }
  }
  return { width, height, channels, data };
}

/** How many pixels have exactly this colour (`#rrggbb`). */
export function countColour(pixels: Pixels, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let found = 0;
  for (let i = 0; i < pixels.data.length; i += pixels.channels)
    if (pixels.data[i] === r && pixels.data[i + 1] === g && pixels.data[i + 2] === b) found++;
  return found;
}

/** How many pixels are not white (any channel below 250). */
export function nonWhite(pixels: Pixels): number {
  let found = 0;
  for (let i = 0; i < pixels.data.length; i += pixels.channels)
    if (pixels.data[i] < 250 || pixels.data[i + 1] < 250 || pixels.data[i + 2] < 250) found++;
  return found;
}
