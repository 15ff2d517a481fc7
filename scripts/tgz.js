'use strict';
/** Minimal reader for .tgz archives: pulls one regular file out by name. */
const fs = require('node:fs');
const zlib = require('node:zlib');

const BLOCK = 512;

function field(header, start, length) {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function parsePax(body) {
  const out = {};
  let text = body.toString('utf8');
  while (text.length > 0) {
    const space = text.indexOf(' ');
    const len = Number.parseInt(text.slice(0, space), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = text.slice(space + 1, len - 1);
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    text = text.slice(len);
  }
  return out;
}

/**
 * Copies `member` of the gzipped tarball `archive` to `dest`.
 * Returns false when the archive has no such regular file.
 */
function extractFileFromTgz(archive, member, dest) {
  const tar = zlib.gunzipSync(fs.readFileSync(archive));
  let offset = 0;
  let paxPath = null;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const bodyStart = offset + BLOCK;
    const body = tar.subarray(bodyStart, bodyStart + size);
    offset = bodyStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      paxPath = parsePax(body).path ?? null;
      continue;
    }
    paxPath = null;
    if ((type === '0' || type === '\0') && name === member) {
      fs.writeFileSync(dest, body);
      return true;
    }
  }
  return false;
}

module.exports = { extractFileFromTgz };
