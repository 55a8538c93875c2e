#include "cli/prompt.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "platform/files.h"

namespace dss::cli {

Result<SecretBytes> read_secret(const std::string& file, const char* env, std::string_view prompt,
                                std::string_view what) {
  if (!file.empty()) {
    DSS_TRY(std::string text, platform::read_text_file(file, 4096));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    SecretBytes out = SecretBytes::from_string(text);
    std::fill(text.begin(), text.end(), '\0');
    return out;
  }
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0')
    return SecretBytes::from_string(v);
  if (::isatty(STDIN_FILENO) == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no " + std::string(what) + ": set " + env +
                          ", pass a file with the option for it, or run in a terminal");
  }
  std::cerr << prompt << std::flush;
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  SecretBytes out = SecretBytes::from_string(line);
  std::fill(line.begin(), line.end(), '\0');
  return out;
}

}  // namespace dss::cli
