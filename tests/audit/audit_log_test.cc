// The audit log: recording, failing closed, paged queries, and file export.
#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>

#include "audit/exporter.h"
#include "core/bytes.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "tlog/verify.h"

namespace dss::audit {
namespace {

namespace fs = std::filesystem;

std::string random_secret() {
  SecretBytes b(24);
  ensure_sodium_initialised();
  randombytes_buf(b.data(), b.size());
  return base64_encode(b.view());
}

class AuditLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuditLog> open(bool fail_closed = true) {
    AuditLogOptions o;
    o.warn = [this](const std::string& m) { warnings += m + "\n"; };
    o.product_version = "0.3.0";
    o.host = "cp1";
    o.fail_closed = fail_closed;
    o.checkpoint_interval = std::chrono::milliseconds(0);
    auto a = AuditLog::open(dir.path() / "audit", clock, o);
    EXPECT_TRUE(a.has_value()) << a.error().message;
    return a ? std::move(*a) : nullptr;
  }
  static Event event(std::string action, std::string actor, Outcome outcome) {
    Event e;
    e.action = std::move(action);
    e.actor_kind = ActorKind::kUser;
    e.actor_id = std::move(actor);
    e.outcome = outcome;
    return e;
  }
  static std::string read_tree(const fs::path& root) {
    std::string all;
    for (const auto& f : fs::recursive_directory_iterator(root)) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
    return all;
  }

  std::string warnings;
  testing::TempDir dir{"dss-audit"};
  testing::FakeClock clock;
};

TEST_F(AuditLogTest, OpeningAndClosingTheLogAreThemselvesRecorded) {
  { auto audit = open(); }
  auto audit = open();
  auto page = audit->query({});
  ASSERT_TRUE(page.has_value());
  ASSERT_GE(page->items.size(), 3U);
  EXPECT_EQ(page->items[0].event.action, "log.start");
  EXPECT_EQ(page->items[1].event.action, "log.stop");
  EXPECT_EQ(page->items[2].event.action, "log.start");
  EXPECT_EQ(page->items[0].event.host, "cp1");
  EXPECT_EQ(page->items[0].event.product_version, "0.3.0");
}

TEST_F(AuditLogTest, QueriesFilterByTimeActorActionAndOutcomeWithACheckpoint) {
  auto audit = open();
  for (int i = 0; i < 50; ++i) {
    clock.advance(10);
    ASSERT_TRUE(audit
                    ->record(event(i % 2 == 0 ? "auth.login" : "config.read",
                                   "user-" + std::to_string(i % 5),
                                   i % 3 == 0 ? Outcome::kFailure : Outcome::kSuccess))
                    .has_value());
  }
  ASSERT_TRUE(audit->log().checkpoint().has_value());
  Query q;
  q.actor_id = "user-2";
  q.action = "auth.";
  q.outcome = Outcome::kFailure;
  auto page = audit->query(q);
  ASSERT_TRUE(page.has_value());
  ASSERT_FALSE(page->items.empty());
  for (const auto& item : page->items) {
    EXPECT_EQ(item.event.actor_id, "user-2");
    EXPECT_EQ(item.event.action, "auth.login");
    EXPECT_EQ(item.event.outcome, Outcome::kFailure);
  }
  EXPECT_NE(page->checkpoint.find("dss.local/audit\n"), std::string::npos);
  auto c = tlog::open_checkpoint(page->checkpoint, audit->log().verifier());
  ASSERT_TRUE(c.has_value());
  EXPECT_GT(c->size, page->items.back().index);  // the checkpoint covers the page

  Query window;
  window.from_ms = (1'800'000'000LL + 100) * 1000;
  window.to_ms = (1'800'000'000LL + 200) * 1000;
  auto w = audit->query(window);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->items.size(), 10U);
  for (const auto& item : w->items) {
    EXPECT_GE(item.event.time_ms, *window.from_ms);
    EXPECT_LT(item.event.time_ms, *window.to_ms);
  }
}

TEST_F(AuditLogTest, PagingVisitsEveryEventExactlyOnce) {
  auto audit = open();
  for (int i = 0; i < 57; ++i) {
    ASSERT_TRUE(audit->record(event("config.read", "u", Outcome::kSuccess)).has_value());
  }
  Query q;
  q.action = "config.read";
  q.limit = 10;
  std::size_t seen = 0;
  std::uint64_t last = 0;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = audit->query(q);
    ASSERT_TRUE(page.has_value());
    for (const auto& item : page->items) {
      if (seen > 0) {
        EXPECT_GT(item.index, last);
      }
      last = item.index;
      ++seen;
    }
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  EXPECT_EQ(seen, 57U);
  q.limit = 0;
  EXPECT_EQ(audit->query(q).error().code, ErrorCode::kInvalidArgument);
}

// Makes writes beyond the current size of every file fail for real, for the scope's lifetime.
class WriteLimit {
 public:
  explicit WriteLimit(rlim_t bytes) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &ignore, &old_action_);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit small = old_;
    small.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &small);
  }
  ~WriteLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::sigaction(SIGXFSZ, &old_action_, nullptr);
  }
  WriteLimit(const WriteLimit&) = delete;
  WriteLimit& operator=(const WriteLimit&) = delete;

 private:
  rlimit old_{};
  struct sigaction old_action_ {};
};

TEST_F(AuditLogTest, ActionThatCannotBeRecordedFailsClosed) {
  auto audit = open();
  Status s = ok();
  {
    WriteLimit limit(64);
    s = audit->record(event("role.grant", "owner-1", Outcome::kSuccess));
  }
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kAuditUnavailable);
  EXPECT_NE(s.error().message.find("refused"), std::string::npos);
}

TEST_F(AuditLogTest, LoosenedFailClosedLetsTheActionThroughWithALoudWarning) {
  auto audit = open(/*fail_closed=*/false);
  Status s = ok();
  {
    WriteLimit limit(64);
    s = audit->record(event("role.grant", "owner-1", Outcome::kSuccess));
  }
  const std::string err = warnings;
  EXPECT_TRUE(s.has_value());
  EXPECT_NE(err.find("WAS NOT RECORDED"), std::string::npos);
  EXPECT_NE(err.find("audit.fail_closed"), std::string::npos);
}

TEST_F(AuditLogTest, EventOutsideTheSchemaIsRefused) {
  auto audit = open();
  EXPECT_EQ(audit->record(event("made.up", "u", Outcome::kSuccess)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(AuditLogTest, FileExportIsOcsfJsonLinesAndResumesFromItsCursor) {
  auto audit = open();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(audit->record(event("auth.login", "u" + std::to_string(i), Outcome::kSuccess)));
  }
  const fs::path out = dir.path() / "export";
  {
    Exporter exporter(*audit, std::make_unique<FileSink>(out, ExportFormat::kOcsf),
                      dir.path() / "ocsf.cursor");
    auto n = exporter.run_once();
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 6U);  // log.start and five logins
  }
  ASSERT_TRUE(audit->record(event("auth.logout", "u0", Outcome::kSuccess)));
  Exporter again(*audit, std::make_unique<FileSink>(out, ExportFormat::kOcsf),
                 dir.path() / "ocsf.cursor");
  auto n = again.run_once();
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 1U);  // only what is new
  std::ifstream in(out / "ocsf-2027-01-15.jsonl");
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(line.rfind("{\"time\":", 0), 0U);
    EXPECT_NE(line.find("\"type_uid\":"), std::string::npos);
  }
  EXPECT_EQ(lines, 7U);
}

TEST_F(AuditLogTest, OcsfExportIsOnByDefaultWithNoConfiguration) {
  {
    auto audit = open();
    ASSERT_TRUE(audit->record(event("user.create", "owner-1", Outcome::kSuccess)));
  }
  std::ifstream in(dir.path() / "audit" / "export" / "ocsf-2027-01-15.jsonl");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_NE(text.find("\"type_uid\":300101"), std::string::npos);          // Account Change: Create
  EXPECT_NE(text.find("\"dss_action\":\"log.stop\""), std::string::npos);  // up to the last
}

TEST_F(AuditLogTest, SecretsUsedInTheTestNeverReachTheLogOrItsExports) {
  const std::string password = random_secret();
  const std::string session_token = random_secret();
  const std::string totp_secret = random_secret();
  const std::string api_token = random_secret();
  {
    auto audit = open();
    Event login = event("auth.login", "user-7", Outcome::kFailure);
    login.reason = "wrong password";
    ASSERT_TRUE(audit->record(login));
    Event session = event("session.create", "user-7", Outcome::kSuccess);
    session.object = session_ref(session_token);
    ASSERT_TRUE(audit->record(session));
    Event mfa = event("auth.mfa.enrol", "user-7", Outcome::kSuccess);
    mfa.details = {{"factor", "totp"}};
    ASSERT_TRUE(audit->record(mfa));
    Event token = event("token.create", "user-7", Outcome::kSuccess);
    token.object = "token-id-3";
    ASSERT_TRUE(audit->record(token));
    for (auto format : {ExportFormat::kOcsf, ExportFormat::kEcs}) {
      Exporter exporter(*audit, std::make_unique<FileSink>(dir.path() / "audit" / "export", format),
                        dir.path() / "audit" / (format == ExportFormat::kOcsf ? "o" : "e"));
      ASSERT_TRUE(exporter.run_once().has_value());
    }
  }
  const std::string everything = read_tree(dir.path());
  ASSERT_NE(everything.find("user-7"), std::string::npos);  // the grep does see the log
  for (const std::string& secret : {password, session_token, totp_secret, api_token}) {
    EXPECT_EQ(everything.find(secret), std::string::npos);
  }
}

TEST_F(AuditLogTest, AuditLogVerifiesOffline) {
  {
    auto audit = open();
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(audit->record(event("config.read", "u", Outcome::kSuccess)));
  }
  auto vkey = platform::read_text_file(dir.path() / "audit" / "log.vkey", 4096);
  ASSERT_TRUE(vkey.has_value());
  auto verifier = tlog::NoteVerifier::parse(vkey->substr(0, vkey->size() - 1));
  ASSERT_TRUE(verifier.has_value());
  auto report = tlog::verify_log(dir.path() / "audit", *verifier);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->entries, 22U);  // start, 20 reads, stop
}

}  // namespace
}  // namespace dss::audit
