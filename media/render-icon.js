// Renders media/icon.png (128×128, marketplace icon) from the same geometry as media/cf-rotate.svg,
// with no dependencies: stroke distance fields, 4×4 supersampling, a hand-written PNG encoder.
// Usage: node media/render-icon.js
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { Buffer } = require('node:buffer');

const SIZE = 128;
const SCALE = 96 / 24; // the 24-unit glyph drawn 96 px wide, centred
const OFFSET = (SIZE - 96) / 2;
const HALF_STROKE = 1.9 / 2;
const BG = [0xf3, 0x80, 0x20];
const FG = [0xff, 0xff, 0xff];

// Glyph in SVG units (see cf-rotate.svg).
const C = { x: 12, y: 12, r: 8.5 };
const arcs = [
  { from: 0, to: Math.atan2(17.7 - 12, 5.7 - 12) }, // clockwise from east through south
  { from: Math.PI, to: Math.atan2(6.3 - 12, 18.3 - 12) + 2 * Math.PI }, // from west through north
];
const segments = [
  [18.6, 3.2, 18.6, 6.5], [18.6, 6.5, 15.3, 6.5],
  [5.4, 20.8, 5.4, 17.5], [5.4, 17.5, 8.7, 17.5],
  [11.7, 12, 16.7, 12], [15, 12, 15, 13.8], [16.7, 12, 16.7, 13.3],
];
const ring = { x: 9.5, y: 12, r: 2.2 };

function norm(a) {
  const t = 2 * Math.PI;
  return ((a % t) + t) % t;
}

function distSegment(px, py, [x1, y1, x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

function distArc(px, py, { from, to }) {
  const a = norm(Math.atan2(py - C.y, px - C.x));
  const span = norm(to - from);
  if (norm(a - from) <= span) return Math.abs(Math.hypot(px - C.x, py - C.y) - C.r);
  const end = (ang) => [C.x + C.r * Math.cos(ang), C.y + C.r * Math.sin(ang)];
  const [x1, y1] = end(from);
  const [x2, y2] = end(to);
  return Math.min(Math.hypot(px - x1, py - y1), Math.hypot(px - x2, py - y2));
}

function inGlyph(px, py) {
  if (Math.abs(Math.hypot(px - ring.x, py - ring.y) - ring.r) <= HALF_STROKE) return true;
  for (const s of segments) if (distSegment(px, py, s) <= HALF_STROKE) return true;
  for (const a of arcs) if (distArc(px, py, a) <= HALF_STROKE) return true;
  return false;
}

function inBackground(x, y) {
  // Rounded square, corner radius 24 px.
  const r = 24;
  const cx = Math.min(Math.max(x, r), SIZE - r);
  const cy = Math.min(Math.max(y, r), SIZE - r);
  return Math.hypot(x - cx, y - cy) <= r;
}

function render() {
  const rows = [];
  const N = 4;
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0
    for (let x = 0; x < SIZE; x++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const px = x + (sx + 0.5) / N;
          const py = y + (sy + 0.5) / N;
          if (!inBackground(px, py)) continue;
          bg++;
          if (inGlyph((px - OFFSET) / SCALE, (py - OFFSET) / SCALE)) fg++;
        }
      }
      const cover = bg / (N * N);
      const f = bg === 0 ? 0 : fg / bg;
      const o = 1 + x * 4;
      for (let c = 0; c < 3; c++) row[o + c] = Math.round(BG[c] * (1 - f) + FG[c] * f);
      row[o + 3] = Math.round(cover * 255);
    }
    rows.push(row);
  }
  return Buffer.concat(rows);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

fs.writeFileSync(path.join(__dirname, 'icon.png'), png(render()));
console.log('wrote media/icon.png');
