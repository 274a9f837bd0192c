// Writes an initramfs (cpio "newc") from a list of entries, without root: the /dev/console node that the
// kernel needs before /init runs is a header field here, not a mknod. Used by scripts/test-kvm.sh.
// Usage: node initramfs.js OUT.cpio SPEC.json, where SPEC is [{path, type: "dir"|"file"|"chardev", src?,
// mode?, major?, minor?}].
'use strict';
const fs = require('fs');

function hex8(n) {
  return n.toString(16).padStart(8, '0');
}

function pad4(buf) {
  const extra = (4 - (buf.length % 4)) % 4;
  return extra ? Buffer.concat([buf, Buffer.alloc(extra)]) : buf;
}

function entry(ino, name, mode, data, rdevMajor = 0, rdevMinor = 0) {
  const nameBuf = Buffer.from(name + '\0');
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBuf.length, 0];
  const header = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
  return Buffer.concat([pad4(Buffer.concat([header, nameBuf])), pad4(data)]);
}

function main() {
  const [out, specPath] = process.argv.slice(2);
  if (!out || !specPath) {
    console.error('usage: node initramfs.js OUT.cpio SPEC.json');
    process.exit(2);
  }
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const parts = [];
  let ino = 1;
  for (const e of spec) {
    const name = e.path.replace(/^\/+/, '');
    if (e.type === 'dir') parts.push(entry(ino++, name, 0o040000 | (e.mode ?? 0o755), Buffer.alloc(0)));
    else if (e.type === 'chardev')
      parts.push(entry(ino++, name, 0o020000 | (e.mode ?? 0o600), Buffer.alloc(0), e.major, e.minor));
    else if (e.type === 'file') parts.push(entry(ino++, name, 0o100000 | (e.mode ?? 0o644), fs.readFileSync(e.src)));
    else throw new Error(`unknown entry type ${e.type} for ${e.path}`);
  }
  parts.push(entry(ino, 'TRAILER!!!', 0, Buffer.alloc(0)));
  fs.writeFileSync(out, Buffer.concat(parts));
}

main();
