// The one list of the native build: which C++ sources make the VMM core (cpu, pc, base, vmm, backends) and
// which the N-API binding, with the defines and libraries that go with them. binding.gyp builds the core
// once as a static library that the addon and the tools link; scripts/build-core.sh builds the same list
// for the fuzzer (clang, sanitizers) and the nested KVM test (static, NVMM over KVM). Adding a file never
// means editing a build file. Backends whose host API is missing are left out (nvmm needs <nvmm.h>, kvm
// needs Linux).
//
//   node native/sources.js [core|napi] [--nested]   the sources (both parts without a part), space-separated
//   node native/sources.js --defines [--nested]      BV_HAVE_KVM=1 ... for the backends built in
//   node native/sources.js --includes [--nested]     include directories beyond native/include, native/src
//   node native/sources.js --libs                    libraries to link
//
// --nested: the core for scripts/test-kvm.sh, with KVM and the NVMM backend over the test-only libnvmm on KVM
// (native/tools/nvmm-kvm, whose <nvmm.h> is native/tools/nvmm-stub).
'use strict';
const fs = require('fs');
const path = require('path');

const repo = path.join(__dirname, '..');
const root = path.join(__dirname, 'src');
const args = process.argv.slice(2);
const nested = args.includes('--nested');
const hasNvmm = nested || ['/usr/include/nvmm.h', '/usr/pkg/include/nvmm.h'].some((f) => fs.existsSync(f));
const hasKvm = nested || (process.platform === 'linux' && fs.existsSync('/usr/include/linux/kvm.h'));

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

const relative = (f) => path.relative(repo, f).split(path.sep).join('/');
const isNapi = (f) => f.startsWith('native/src/napi/');

function sources(part) {
  const all = walk(root).filter(wanted).map(relative).sort();
  if (part === 'napi') return all.filter(isNapi);
  if (part !== 'core') return all;
  const core = all.filter((f) => !isNapi(f));
  return nested
    ? core.concat(
        walk(path.join(__dirname, 'tools', 'nvmm-kvm'))
          .map(relative)
          .sort(),
      )
    : core;
}

if (args.includes('--defines')) {
  const d = [];
  if (hasNvmm) d.push('BV_HAVE_NVMM=1');
  if (hasKvm) d.push('BV_HAVE_KVM=1');
  console.log(d.join(' '));
} else if (args.includes('--includes')) {
  console.log(nested ? 'native/tools/nvmm-stub' : '');
} else if (args.includes('--libs')) {
  console.log(hasNvmm && !nested ? '-lnvmm' : '');
} else {
  console.log(sources(args.find((a) => !a.startsWith('--'))).join(' '));
}
