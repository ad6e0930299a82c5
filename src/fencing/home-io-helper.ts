/**
 * The program of the JENKINS_HOME I/O helper process (run as `node -e HELPER_SOURCE` by
 * home-io.ts). It reads one JSON request per line on stdin, performs it with synchronous fs calls
 * (on its own main thread: never on the controller's libuv pool) and writes one JSON answer per
 * line on stdout. A request that hangs in the kernel (a hung NFS or FUSE mount) hangs this process
 * only; the controller SIGKILLs it at the deadline and starts another.
 *
 * Every path is checked with lstat first and opened with O_NOFOLLOW | O_NONBLOCK, so a FIFO, a
 * socket, a device, a directory or a symlink at a path the controller owns is refused (code
 * HOME_NOT_REGULAR) instead of blocking an open(2) for ever or following a link elsewhere.
 *
 * Kept as plain JavaScript in a string so it needs no file of its own at run time (dist/ and
 * ts-jest alike) and inherits nothing from the controller: its environment is empty.
 */
export const HELPER_SOURCE = String.raw`
'use strict';
const fs = require('fs');
const C = fs.constants;
const MAX_READ = 1 << 20;
function kind(st) {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
function refuse(p, what) {
  const e = new Error(p + ' is ' + what + ', not a regular file');
  e.refused = true;
  throw e;
}
function regular(p, fd) {
  const st = fd === undefined ? fs.lstatSync(p) : fs.fstatSync(fd);
  const k = kind(st);
  if (k !== 'file') refuse(p, k);
  return st;
}
function openChecked(p, flags, mode) {
  let fd;
  try {
    fd = fs.openSync(p, flags | C.O_NOFOLLOW | C.O_NONBLOCK, mode);
  } catch (e) {
    if (e.code === 'ELOOP') refuse(p, 'a symlink');
    throw e;
  }
  try {
    regular(p, fd);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}
function statOf(st) {
  return { type: kind(st), mode: st.mode & 0o7777, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}
const ops = {
  read(r) {
    try {
      regular(r.path);
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
    const fd = openChecked(r.path, C.O_RDONLY);
    try {
      const buf = Buffer.alloc(MAX_READ);
      let n = 0;
      for (;;) {
        const k = fs.readSync(fd, buf, n, MAX_READ - n, null);
        if (k === 0 || n + k >= MAX_READ) { n += k; break; }
        n += k;
      }
      return buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  },
  writeAtomic(r) {
    const fd = openChecked(r.tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL, r.mode);
    try {
      try {
        fs.writeSync(fd, r.data);
        if (r.durable) fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(r.tmp, r.path);
    } catch (e) {
      try { fs.unlinkSync(r.tmp); } catch {}
      throw e;
    }
    return true;
  },
  lstat(r) {
    try {
      return statOf(fs.lstatSync(r.path));
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
  },
  stat(r) {
    return statOf(fs.statSync(r.path));
  },
  ensureFile(r) {
    try {
      const st = fs.lstatSync(r.path);
      if (!st.isFile()) refuse(r.path, kind(st));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    const fd = openChecked(r.path, C.O_WRONLY | C.O_CREAT | C.O_APPEND, r.mode);
    fs.closeSync(fd);
    return true;
  },
  probeWrite(r) {
    const fd = openChecked(r.path, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
    try {
      fs.writeSync(fd, 'probe\n');
      if (r.durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
      try { fs.unlinkSync(r.path); } catch {}
    }
    return true;
  },
  statfs(r) {
    const s = fs.statfsSync(r.path);
    return { freeBytes: s.bavail * s.bsize };
  },
  chmod(r) {
    regular(r.path);
    fs.chmodSync(r.path, r.mode);
    return true;
  },
  unlink(r) {
    try {
      fs.unlinkSync(r.path);
      return true;
    } catch (e) {
      if (e.code === 'ENOENT') return false;
      throw e;
    }
  },
};
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let i;
  while ((i = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    let r;
    let out;
    try {
      r = JSON.parse(line);
      const op = ops[r.op];
      if (!op) throw new Error('unknown op ' + r.op);
      out = { id: r.id, ok: true, value: op(r) };
    } catch (e) {
      out = { id: r ? r.id : -1, ok: false, refused: e.refused === true, code: e.code || null, message: String(e.message || e) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write(JSON.stringify({ id: 0, ok: true, value: 'ready' }) + '\n');
`;
