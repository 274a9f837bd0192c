#!/usr/bin/env node
// Fails on a C++ #include that runs up the layers of native/ (README "Layout"). A file's layer is its folder
// under native/src (or `include` for native/include); an include's layer is the first folder of its quoted
// path. System headers (<...>) and native/tools (drivers that may use anything) are not checked.
//
//   node scripts/check-layers.js [repo root]     prints one line per violation, exits 1 if there is any
'use strict';
const fs = require('fs');
const path = require('path');

// Which layers each layer may include, besides itself. `include` is native/include/bootvisor.
const allowed = {
  include: [],
  base: ['include'],
  cpu: ['base', 'include'],
  pc: ['base', 'include'],
  backends: ['base', 'include'],
  vmm: ['cpu', 'pc', 'backends', 'base', 'include'],
  napi: ['include'],
};

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : /\.(h|hpp|cc|cpp)$/.test(e.name) ? [p] : [];
  });
}

function layerOfInclude(spec) {
  const first = spec.split('/')[0];
  return first === 'bootvisor' ? 'include' : first;
}

function violations(root) {
  const out = [];
  const files = [
    ...walk(path.join(root, 'native', 'include')).map((f) => ({ f, layer: 'include' })),
    ...walk(path.join(root, 'native', 'src')).map((f) => ({
      f,
      layer: path.relative(path.join(root, 'native', 'src'), f).split(path.sep)[0],
    })),
  ];
  for (const { f, layer } of files) {
    const rel = path.relative(root, f).split(path.sep).join('/');
    if (!(layer in allowed)) {
      out.push(`${rel}: folder '${layer}' is not a known layer (add it to scripts/check-layers.js)`);
      continue;
    }
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = /^\s*#\s*include\s*"([^"]+)"/.exec(line);
      if (!m) return;
      const to = m[1].includes('/') ? layerOfInclude(m[1]) : layer; // "x.h" is a sibling
      if (to !== layer && !allowed[layer].includes(to)) {
        out.push(
          `${rel}:${i + 1}: ${layer}/ may not include "${m[1]}" (${layer} -> ${allowed[layer].join(', ') || 'nothing'})`,
        );
      }
    });
  }
  return out;
}

if (require.main === module) {
  const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
  const v = violations(root);
  for (const line of v) console.log(line);
  if (v.length) {
    console.log(`${v.length} include(s) run up the layers of native/`);
    process.exit(1);
  }
  console.log('native/ layering: ok');
}

module.exports = { violations, allowed };
