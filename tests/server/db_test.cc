// The embedded store: migrations, refusal of a newer schema, SQL injection attempts stored as
// data, compare-and-set replay defences, and the online backup.
#include "server/db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fakes/temp_dir.h"
#include "server/sqlite_store.h"

namespace dss::server {
namespace {

TEST(StoreTest, MigrationsAreRecordedAndReopeningKeepsTheVersion) {
  testing::TempDir dir;
  {
    auto s = SqliteStore::open(dir.path() / "s.db");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ((*s)->schema_version(), kSchemaVersion);
  }
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->schema_version(), kSchemaVersion);
  auto v = read_schema_version(dir.path() / "s.db");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kSchemaVersion);
}

TEST(StoreTest, DatabaseFileIsPrivate) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "s.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(StoreTest, NewerSchemaThanThisBinaryIsRefused) {
  testing::TempDir dir;
  {
    auto s = SqliteStore::open(dir.path() / "s.db");
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->db().exec("INSERT INTO schema_version (version) VALUES (999)"));
  }
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST(StoreTest, SqlInjectionInNamesIsStoredAsData) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  UserRecord u;
  u.name = "x'); DROP TABLE users; --";
  u.job = "viewer";
  u.roles = {"viewer"};
  u.password_hash = "h";
  ASSERT_TRUE((*s)->create_user(u));
  auto found = (*s)->find_user(u.name);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, u.name);
  auto n = (*s)->count_users();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
}

TEST(StoreTest, DuplicateAccountNamesAreRefusedCaseInsensitively) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  UserRecord u;
  u.name = "Alice";
  u.job = "viewer";
  u.password_hash = "h";
  ASSERT_TRUE((*s)->create_user(u));
  u.name = "alice";
  auto again = (*s)->create_user(u);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST(StoreTest, TotpStepAndRecoveryCodesAreCompareAndSet) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  UserRecord u;
  u.name = "bob";
  u.job = "viewer";
  u.password_hash = "h";
  auto id = (*s)->create_user(u);
  ASSERT_TRUE(id);
  FactorRecord f;
  f.user_id = *id;
  f.kind = "totp";
  f.label = "app";
  f.sealed_secret = "sealed";
  auto fid = (*s)->add_factor(f);
  ASSERT_TRUE(fid);
  EXPECT_TRUE(*(*s)->advance_totp_step(*fid, 100));
  EXPECT_FALSE(*(*s)->advance_totp_step(*fid, 100));  // the same step again: a replay
  EXPECT_FALSE(*(*s)->advance_totp_step(*fid, 99));
  ASSERT_TRUE((*s)->set_recovery_hashes(*id, {"a", "b"}));
  EXPECT_TRUE(*(*s)->use_recovery_code(*id, 1, 5));
  EXPECT_FALSE(*(*s)->use_recovery_code(*id, 1, 6));
  auto hashes = (*s)->recovery_hashes(*id);
  ASSERT_TRUE(hashes);
  EXPECT_EQ((*hashes)[0], "a");
  EXPECT_EQ((*hashes)[1], "");
}

TEST(StoreTest, EnrolmentTokenWorksOnceAndNotAfterExpiry) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->create_enrolment_token("t1", "op", 0, 1000));
  DeviceRecord d;
  d.id = "dev-1";
  d.name = "one";
  d.public_key = "k1";
  EXPECT_TRUE((*s)->enrol_device("t1", d, 10));
  d.id = "dev-2";
  d.public_key = "k2";
  EXPECT_FALSE((*s)->enrol_device("t1", d, 11));
  ASSERT_TRUE((*s)->create_enrolment_token("t2", "op", 0, 1000));
  EXPECT_FALSE((*s)->enrol_device("t2", d, 2000));
  auto all = (*s)->devices();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1U);
}

TEST(StoreTest, OnlineBackupIsAConsistentSelfContainedCopy) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  UserRecord u;
  u.name = "carol";
  u.job = "viewer";
  u.password_hash = "h";
  ASSERT_TRUE((*s)->create_user(u));
  ASSERT_TRUE((*s)->backup_to((dir.path() / "b.db").string()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b.db-wal"));
  auto copy = SqliteStore::open(dir.path() / "b.db");
  ASSERT_TRUE(copy);
  auto found = (*copy)->find_user("carol");
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*copy)->db().integrity_check());
}

// Schema 4 (ADR 0038) adds the interrupted install each device reports. A database written by
// schema 3 migrates on open: its devices keep what they reported and read as reporting none,
// and the new columns then take check-ins.
TEST(StoreTest, SchemaThreeDatabaseMigratesAndItsDevicesReportNoInterruptedInstall) {
  testing::TempDir dir;
  const auto file = dir.path() / "s.db";
  {
    const std::vector<Db::Migration> v3(store_migrations().begin(), store_migrations().begin() + 3);
    auto db = Db::open(file, v3);
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_EQ((*db)->schema_version(), 3);
    ASSERT_TRUE((*db)->exec(
        "INSERT INTO devices (id, name, public_key, enrolled_ms, installed_version, log_status) "
        "VALUES ('d-1', 'kiosk-1', 'cGs=', 1, '1.0', 'consistent')"));
  }
  auto s = SqliteStore::open(file);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ((*s)->schema_version(), 4);
  auto v = read_schema_version(file);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 4);
  auto d = (*s)->device("d-1");
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->installed_version, "1.0");
  EXPECT_EQ((*d)->log_status, "consistent");
  EXPECT_EQ((*d)->interrupted_version, "");
  EXPECT_EQ((*d)->interrupted_count, 0);
  DeviceRecord report = **d;
  report.last_checkin_ms = 2;
  report.interrupted_version = "2.0";
  report.interrupted_count = 3;
  ASSERT_TRUE((*s)->record_checkin(report));
  auto after = (*s)->device("d-1");
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->interrupted_version, "2.0");
  EXPECT_EQ((*after)->interrupted_count, 3);
}

// Session state was compared as free text: a state the server never writes must grant nothing,
// not be read as some state it does not name.
TEST(StoreTest, SessionStateRoundTripsByNameAndAnUnknownStoredStateEndsTheSession) {
  testing::TempDir dir;
  auto s = SqliteStore::open(dir.path() / "s.db");
  ASSERT_TRUE(s);
  UserRecord u;
  u.name = "bob";
  u.job = "viewer";
  u.password_hash = "h";
  auto uid = (*s)->create_user(u);
  ASSERT_TRUE(uid);
  SessionRecord rec;
  rec.user_id = *uid;
  rec.state = SessionState::kMfa;
  auto sid = (*s)->create_session("token-hash", rec);
  ASSERT_TRUE(sid);
  auto got = (*s)->session_by_token("token-hash");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->state, SessionState::kMfa);
  ASSERT_TRUE((*s)->set_session_state(*sid, SessionState::kActive));
  got = (*s)->session_by_token("token-hash");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->state, SessionState::kActive);
  // Stored as its name, the only text form.
  ASSERT_TRUE((*s)->db().exec("UPDATE sessions SET state = 'Active'"));
  got = (*s)->session_by_token("token-hash");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
  auto open = (*s)->sessions_of(*uid);
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
}

TEST(SessionState, NamesParseBackExactlyAndNothingElseParses) {
  for (const SessionState st :
       {SessionState::kMfaEnrolment, SessionState::kMfa, SessionState::kActive}) {
    EXPECT_EQ(parse_session_state(session_state_name(st)), st);
  }
  for (const char* bad : {"", "Active", "active ", "mfa_enrollment", "activ"}) {
    EXPECT_FALSE(parse_session_state(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace dss::server
