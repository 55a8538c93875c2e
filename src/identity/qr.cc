#include "identity/qr.h"

#include <qrencode.h>

#include <memory>
#include <vector>

namespace dss::identity {
namespace {

constexpr int kQuietZone = 4;  // ISO/IEC 18004 §6.3.8

// The modules, quiet zone included, as rows of booleans (true = dark).
struct Matrix {
  int size = 0;
  std::vector<bool> dark;
  [[nodiscard]] bool at(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                static_cast<std::size_t>(x)];
  }
};

Result<Matrix> encode(std::string_view text) {
  if (text.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "nothing to put in the QR code");
  }
  // Byte mode of the exact bytes (QRcode_encodeData copes with any byte, NUL included).
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M),
      &QRcode_free);
  if (!qr) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the text is too long for a QR code (at most about 2,300 bytes)");
  }
  Matrix m;
  m.size = qr->width + 2 * kQuietZone;
  m.dark.assign(static_cast<std::size_t>(m.size) * static_cast<std::size_t>(m.size), false);
  for (int y = 0; y < qr->width; ++y) {
    for (int x = 0; x < qr->width; ++x) {
      const unsigned char module = qr->data[y * qr->width + x];
      m.dark[static_cast<std::size_t>(y + kQuietZone) * static_cast<std::size_t>(m.size) +
             static_cast<std::size_t>(x + kQuietZone)] = (module & 1) != 0;
    }
  }
  return m;
}

}  // namespace

Result<std::string> qr_utf8(std::string_view text) {
  DSS_TRY(const Matrix m, encode(text));
  std::string out;
  for (int y = 0; y < m.size; y += 2) {
    for (int x = 0; x < m.size; ++x) {
      // Light modules are drawn (the terminal's foreground), dark ones left blank.
      const bool top = !m.at(x, y);
      const bool bottom = y + 1 < m.size ? !m.at(x, y + 1) : false;
      if (top && bottom) {
        out += "\u2588";
      } else if (top) {
        out += "\u2580";
      } else if (bottom) {
        out += "\u2584";
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

Result<std::string> qr_svg(std::string_view text) {
  DSS_TRY(const Matrix m, encode(text));
  const std::string n = std::to_string(m.size);
  std::string path;
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size;) {
      if (!m.at(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.size && m.at(x + run, y)) ++run;
      path += "M" + std::to_string(x) + " " + std::to_string(y) + "h" + std::to_string(run) +
              "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 " +
         n + " " + n + "\" width=\"" + std::to_string(m.size * 8) + "\" height=\"" +
         std::to_string(m.size * 8) +
         "\" shape-rendering=\"crispEdges\">\n"
         "<rect width=\"" +
         n + "\" height=\"" + n +
         "\" fill=\"#ffffff\"/>\n"
         "<path fill=\"#000000\" d=\"" +
         path +
         "\"/>\n"
         "</svg>\n";
}

}  // namespace dss::identity
