// RFC 5425 export to a real rsyslog (rsyslog + rsyslog-gnutls) on loopback, with its own test
// certificate, stopped and restarted mid-stream.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "audit/audit_log.h"
#include "audit/exporter.h"
#include "fakes/temp_dir.h"
#include "httpd/server.h"
#include "platform/system_clock.h"

namespace dss::audit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A real rsyslogd listening with TLS on loopback, writing each message's MSG to a file.
class Rsyslog {
 public:
  explicit Rsyslog(const fs::path& dir) : dir_(dir), port_(free_port()) {
    fs::create_directories(dir_ / "work");
    EXPECT_TRUE(httpd::generate_self_signed_cert(dir_ / "cert.pem", dir_ / "key.pem"));
    std::ofstream conf(dir_ / "rsyslog.conf");
    conf << "global(workDirectory=\"" << (dir_ / "work").string() << "\"\n"
         << "  defaultNetstreamDriverCAFile=\"" << (dir_ / "cert.pem").string() << "\"\n"
         << "  defaultNetstreamDriverCertFile=\"" << (dir_ / "cert.pem").string() << "\"\n"
         << "  defaultNetstreamDriverKeyFile=\"" << (dir_ / "key.pem").string() << "\")\n"
         << "module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\"\n"
         << "  streamDriver.authMode=\"anon\")\n"
         << "input(type=\"imtcp\" port=\"" << port_ << "\" address=\"127.0.0.1\")\n"
         << "template(name=\"raw\" type=\"string\" string=\"%msg%\\n\")\n"
         << "action(type=\"omfile\" file=\"" << (dir_ / "received.log").string()
         << "\" template=\"raw\")\n";
  }
  ~Rsyslog() { stop(); }
  Rsyslog(const Rsyslog&) = delete;
  Rsyslog& operator=(const Rsyslog&) = delete;

  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string log = (dir_ / "rsyslogd.out").string();
      FILE* out = std::freopen(log.c_str(), "a", stdout);
      (void)out;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      const std::string conf = (dir_ / "rsyslog.conf").string();
      const std::string pid = (dir_ / "rsyslogd.pid").string();
      ::execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", conf.c_str(), "-i", pid.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (accepts(port_)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] fs::path cert() const { return dir_ / "cert.pem"; }
  [[nodiscard]] std::string received() const {
    std::ifstream in(dir_ / "received.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  fs::path dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// Counts each event id in rsyslog's output.
std::map<std::string, int> received_ids(const std::string& text) {
  std::map<std::string, int> ids;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t at = line.find("\"id\":\"");
    if (at == std::string::npos) continue;
    ++ids[line.substr(at + 6, 36)];
  }
  return ids;
}

TEST(SyslogExport, EveryEventArrivesExactlyOnceAcrossCollectorRestarts) {
  ASSERT_TRUE(fs::exists("/usr/sbin/rsyslogd")) << "run scripts/bootstrap.sh (rsyslog)";
  testing::TempDir dir("dss-syslog");
  Rsyslog rsyslog(dir.path() / "rsyslog");
  ASSERT_TRUE(rsyslog.start()) << "rsyslogd did not start; see rsyslogd.out";
  platform::SystemClock clock;
  AuditLogOptions o;
  o.checkpoint_interval = 0ms;
  auto audit = AuditLog::open(dir.path() / "audit", clock, o);
  ASSERT_TRUE(audit.has_value()) << audit.error().message;
  {
    SyslogTlsOptions so;
    so.host = "127.0.0.1";
    so.port = rsyslog.port();
    so.ca_file = rsyslog.cert();
    so.timeout = 2s;
    Exporter exporter(**audit, std::make_unique<SyslogTlsSink>(so), dir.path() / "cursor");
    exporter.start(5ms, 100ms);
    for (int i = 0; i < 300; ++i) {
      Event e;
      e.action = "config.read";
      e.actor_kind = ActorKind::kUser;
      e.actor_id = "user-" + std::to_string(i);
      ASSERT_TRUE((*audit)->record(e).has_value());
      std::this_thread::sleep_for(2ms);
      if (i == 100) rsyslog.stop();  // mid-stream: the collector goes away...
      if (i == 200) {
        ASSERT_TRUE(rsyslog.start());  // ...and comes back
      }
    }
    for (int i = 0; i < 600 && exporter.cursor() < (*audit)->log().size(); ++i) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(exporter.cursor(), (*audit)->log().size()) << exporter.last_error();
  }
  rsyslog.stop();  // flushes its output
  const auto ids = received_ids(rsyslog.received());
  std::size_t expected = 0;
  for (std::uint64_t i = 0; i < (*audit)->log().size(); ++i) {
    auto bytes = (*audit)->log().read(i);
    ASSERT_TRUE(bytes.has_value());
    auto e = from_json(as_chars(*bytes));
    ASSERT_TRUE(e.has_value());
    auto it = ids.find(e->id);
    ASSERT_NE(it, ids.end()) << "event " << i << " (" << e->action << ") never arrived";
    EXPECT_EQ(it->second, 1) << "event " << i << " arrived " << it->second << " times";
    ++expected;
  }
  EXPECT_EQ(ids.size(), expected);
}

TEST(SyslogExport, CollectorWithAnUntrustedCertificateIsRefused) {
  testing::TempDir dir("dss-syslog");
  Rsyslog rsyslog(dir.path() / "rsyslog");
  ASSERT_TRUE(rsyslog.start());
  ASSERT_TRUE(httpd::generate_self_signed_cert(dir.path() / "other.pem", dir.path() / "other.key"));
  SyslogTlsOptions so;
  so.host = "127.0.0.1";
  so.port = rsyslog.port();
  so.ca_file = dir.path() / "other.pem";
  SyslogTlsSink sink(so);
  Event e;
  e.time_ms = 1;
  e.id = new_event_id(1);
  e.action = "config.read";
  const std::vector<Event> events{e};
  auto r = sink.deliver(events);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace dss::audit
