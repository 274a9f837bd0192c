// The real VGA 8x16 glyphs when the host has them: IBM's font cannot ship with us, but Linux consoles carry
// it as a PSF file (console-setup's Lat15-VGA16.psf.gz, kbd's default8x16.psfu.gz). We take from it, through
// its Unicode table, the glyph of each CP437 code's character; codes it lacks keep our own drawing. Any
// problem (no file, unreadable, malformed, no zlib for a .gz) leaves our font untouched.
#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#if __has_include(<zlib.h>)
#include <zlib.h>
#define BV_HAVE_ZLIB_H 1
#endif

#include "pc/vga.h"

namespace bv {

namespace {

constexpr size_t kMaxFile = 4u << 20;

#ifdef BV_HAVE_ZLIB_H
// zlib is looked up at run time: Node exports its own copy to addons, and plain C++ tools that link these
// sources without -lz simply do without .gz fonts.
bool gunzip(const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
  using InitFn = int (*)(z_streamp, int, const char*, int);
  using InflateFn = int (*)(z_streamp, int);
  using EndFn = int (*)(z_streamp);
  auto init = reinterpret_cast<InitFn>(dlsym(RTLD_DEFAULT, "inflateInit2_"));
  auto inflateFn = reinterpret_cast<InflateFn>(dlsym(RTLD_DEFAULT, "inflate"));
  auto end = reinterpret_cast<EndFn>(dlsym(RTLD_DEFAULT, "inflateEnd"));
  if (!init || !inflateFn || !end) return false;
  z_stream z{};
  if (init(&z, 16 + MAX_WBITS, ZLIB_VERSION, int(sizeof(z_stream))) != Z_OK) return false;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = uInt(in.size());
  out.clear();
  int rc = Z_OK;
  uint8_t buf[16384];
  while (rc == Z_OK && out.size() <= kMaxFile) {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    rc = inflateFn(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.insert(out.end(), buf, buf + (sizeof buf - z.avail_out));
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // truncated input
  }
  end(&z);
  return rc == Z_STREAM_END && out.size() <= kMaxFile;
}
#else
bool gunzip(const std::vector<uint8_t>&, std::vector<uint8_t>&) { return false; }
#endif

bool readFile(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.resize(kMaxFile + 1);  // bounded, so a device file such as /dev/zero cannot hang us
  f.read(reinterpret_cast<char*>(out.data()), std::streamsize(out.size()));
  out.resize(size_t(f.gcount()));
  if (out.size() > kMaxFile) return false;
  if (out.size() >= 2 && out[0] == 0x1F && out[1] == 0x8B) {
    std::vector<uint8_t> raw;
    if (!gunzip(out, raw)) return false;
    out.swap(raw);
  }
  return true;
}

uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}

// Decodes one UTF-8 character at b[i..end); returns false on a malformed sequence.
bool utf8At(const std::vector<uint8_t>& b, size_t& i, size_t end, uint32_t& cp) {
  uint8_t c = b[i];
  int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
  if (n < 0 || i + size_t(n) >= end) return false;
  cp = n == 0 ? c : uint32_t(c & (0x3F >> n));
  for (int k = 1; k <= n; ++k) {
    if ((b[i + k] & 0xC0) != 0x80) return false;
    cp = cp << 6 | (b[i + k] & 0x3F);
  }
  i += size_t(n) + 1;
  return true;
}

// Copies, for each CP437 code whose character the font's Unicode table names, that glyph. Only single code
// points count (a combining sequence is not the character itself).
bool parsePsf(const std::vector<uint8_t>& b, const uint32_t (&cp437)[256], uint8_t (&out)[256][16],
              bool (&have)[256]) {
  size_t glyphs = 0, glyphAt = 0, tableAt = 0;
  bool psf2 = false;
  if (b.size() >= 4 && b[0] == 0x36 && b[1] == 0x04) {
    if (b[3] != 16 || !(b[2] & 0x06)) return false;  // 8x16 with a Unicode table only
    glyphs = (b[2] & 0x01) ? 512 : 256;
    glyphAt = 4;
  } else if (b.size() >= 32 && le32(b, 0) == 0x864AB572) {
    uint32_t header = le32(b, 8), flags = le32(b, 12), count = le32(b, 16), size = le32(b, 20);
    uint32_t height = le32(b, 24), width = le32(b, 28);
    if (!(flags & 1) || size != 16 || height != 16 || width != 8 || count == 0 || count > 65536) return false;
    if (header < 32 || header > b.size()) return false;
    glyphs = count;
    glyphAt = header;
    psf2 = true;
  } else {
    return false;
  }
  if (glyphs > (b.size() - glyphAt) / 16) return false;
  tableAt = glyphAt + glyphs * 16;
  int slot[256];
  for (int& s : slot) s = -1;
  auto note = [&](uint32_t cp, size_t glyph) {
    for (int c = 0; c < 256; ++c)
      if (cp437[c] == cp && slot[c] < 0) slot[c] = int(glyph);
  };
  size_t i = tableAt;
  for (size_t g = 0; g < glyphs; ++g) {
    bool inSequence = false;
    for (;;) {
      if (psf2) {
        if (i >= b.size()) return false;
        uint8_t c = b[i];
        if (c == 0xFF) { ++i; break; }
        if (c == 0xFE) { inSequence = true; ++i; continue; }
        uint32_t cp = 0;
        if (!utf8At(b, i, b.size(), cp)) return false;
        if (!inSequence) note(cp, g);
      } else {
        if (i + 2 > b.size()) return false;
        uint32_t u = uint32_t(b[i]) | uint32_t(b[i + 1]) << 8;
        i += 2;
        if (u == 0xFFFF) break;
        if (u == 0xFFFE) { inSequence = true; continue; }
        if (!inSequence) note(u, g);
      }
    }
  }
  for (int c = 0; c < 256; ++c) {
    have[c] = slot[c] >= 0;
    if (have[c]) std::memcpy(out[c], &b[glyphAt + size_t(slot[c]) * 16], 16);
  }
  return true;
}

}  // namespace

bool loadHostVgaFont(const uint32_t (&cp437)[256], uint8_t (&font)[256][16]) {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("BOOTVISOR_VGA_FONT")) {
    paths.push_back(env);  // an explicit choice: no silent substitute from the list below
  } else {
    paths = {"/usr/share/consolefonts/Lat15-VGA16.psf.gz", "/usr/share/consolefonts/Lat15-VGA16.psf",
             "/usr/share/kbd/consolefonts/default8x16.psfu.gz", "/usr/share/consolefonts/default8x16.psfu.gz",
             "/usr/lib/kbd/consolefonts/default8x16.psfu.gz"};
  }
  for (const auto& path : paths) {
    std::vector<uint8_t> bytes;
    if (path.empty() || !readFile(path, bytes)) continue;
    uint8_t glyphs[256][16];
    bool have[256];
    if (!parsePsf(bytes, cp437, glyphs, have)) continue;
    for (int c = 0; c < 256; ++c)
      if (have[c]) std::memcpy(font[c], glyphs[c], 16);
    return true;
  }
  return false;
}

}  // namespace bv
