/**
 * The Jenkins version of a jenkins.war, read from its META-INF/MANIFEST.MF (`Jenkins-Version`,
 * else `Implementation-Version`) without unpacking the war: read the zip's central directory,
 * find the manifest, inflate that one entry. Null when the file is not a readable war.
 */
import { promises as fsp } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
const MANIFEST = 'META-INF/MANIFEST.MF';

export async function warVersion(file: string): Promise<string | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = (await fh.stat()).size;
    const tailLen = Math.min(size, 65557);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return null;
    const cenSize = tail.readUInt32LE(eocd + 12);
    const cenOffset = tail.readUInt32LE(eocd + 16);
    const cen = Buffer.alloc(cenSize);
    await fh.read(cen, 0, cenSize, cenOffset);
    for (let p = 0; p + 46 <= cen.length && cen.readUInt32LE(p) === CEN_SIG; ) {
      const method = cen.readUInt16LE(p + 10);
      const compSize = cen.readUInt32LE(p + 20);
      const nameLen = cen.readUInt16LE(p + 28);
      const extraLen = cen.readUInt16LE(p + 30);
      const commentLen = cen.readUInt16LE(p + 32);
      const localOffset = cen.readUInt32LE(p + 42);
      const name = cen.toString('utf8', p + 46, p + 46 + nameLen);
      if (name === MANIFEST) {
        const loc = Buffer.alloc(30);
        await fh.read(loc, 0, 30, localOffset);
        if (loc.readUInt32LE(0) !== LOC_SIG) return null;
        const dataStart = localOffset + 30 + loc.readUInt16LE(26) + loc.readUInt16LE(28);
        const data = Buffer.alloc(compSize);
        await fh.read(data, 0, compSize, dataStart);
        const text = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
        return manifestVersion(text);
      }
      p += 46 + nameLen + extraLen + commentLen;
    }
    return null;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

/** `Jenkins-Version` (else `Implementation-Version`) of a manifest's main section. Pure. */
export function manifestVersion(text: string): string | null {
  // Continuation lines start with one space.
  const lines = text.replace(/\r\n/g, '\n').replace(/\n /g, '').split('\n');
  const attr = (k: string): string | null => {
    const l = lines.find((x) => x.toLowerCase().startsWith(`${k.toLowerCase()}:`));
    return l ? l.slice(k.length + 1).trim() || null : null;
  };
  return attr('Jenkins-Version') ?? attr('Implementation-Version');
}
