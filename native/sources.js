// Lists the C++ sources of the addon for binding.gyp, so that adding a file never means editing the
// build file. Backends whose host API is missing are left out (nvmm needs <nvmm.h>, kvm needs Linux).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, 'src');
const hasNvmm = ['/usr/include/nvmm.h', '/usr/pkg/include/nvmm.h'].some((f) => fs.existsSync(f));
const hasKvm = process.platform === 'linux' && fs.existsSync('/usr/include/linux/kvm.h');

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.cpp') ? [p] : [];
  });
}

function wanted(file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (rel.startsWith('backends/nvmm')) return hasNvmm;
  if (rel.startsWith('backends/kvm')) return hasKvm;
  return true;
}

const arg = process.argv[2];
if (arg === '--defines') {
  const d = [];
  if (hasNvmm) d.push('BV_HAVE_NVMM=1');
  if (hasKvm) d.push('BV_HAVE_KVM=1');
  console.log(d.join(' '));
} else if (arg === '--libs') {
  console.log(hasNvmm ? '-lnvmm' : '');
} else {
  const files = walk(root).filter(wanted).sort();
  console.log(files.map((f) => path.relative(path.join(__dirname, '..'), f).split(path.sep).join('/')).join(' '));
}
