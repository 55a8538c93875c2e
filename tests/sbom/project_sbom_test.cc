// DSS's own SBOM (cmake/ProjectSbom.cmake, cmake/write_project_sbom.cmake, ADR 0032). Each test
// runs the generator itself into a private directory, exactly as the `project-sbom` target does,
// and checks the result with DSS's validator (src/sbom: official schema through valijson, and
// the NTIA minimum elements) and with ajv (tools/sbom-check, a second, independent
// implementation of the official schema). The checked-in copy in docs/sbom/ must list the same
// components. The generator's refusals are tested with a fake dpkg-query.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "fakes/temp_dir.h"
#include "sbom/sbom.h"

namespace dss::sbom {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSourceRoot = DSS_SOURCE_ROOT;
const fs::path kCheckedIn = kSourceRoot / "docs" / "sbom" / "dss.cdx.json";
constexpr const char* kRegenerate =
    "regenerate docs/sbom/dss.cdx.json and commit it:\n"
    "  cmake --build build --target project-sbom && cp build/sbom/dss.cdx.json docs/sbom/";

using dss::testing::slurp;

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string quoted(const std::string& s) {
  if (s.find('\'') != std::string::npos) std::abort();  // our own paths; never untrusted
  return "'" + s + "'";
}

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line; its output goes to a file in `dir`.
Outcome run(const std::string& command, const fs::path& dir) {
  const fs::path log = dir / "command.log";
  const int raw = std::system((command + " >" + quoted(log.string()) + " 2>&1").c_str());
  Outcome r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.output = slurp(log);
  return r;
}

// The generator, as the project-sbom target runs it, with optional extra -D definitions.
Outcome generate(const fs::path& out, const fs::path& dir, const std::string& extra = "",
                 const std::string& inputs = DSS_SBOM_INPUTS) {
  return run(quoted(DSS_CMAKE_COMMAND) + " -DINPUTS=" + quoted(inputs) +
                 " -DOUT=" + quoted(out.string()) + " " + extra + " -P " + quoted(DSS_SBOM_SCRIPT),
             dir);
}

// ajv with the official CycloneDX 1.5 schema (tools/sbom-check/check.js).
Outcome ajv(const fs::path& document, const fs::path& dir) {
  const std::string node = DSS_NODE;
  if (node.empty() || node.find("NOTFOUND") != std::string::npos) {
    return {127,
            "node was not found when the build was configured; run scripts/bootstrap.sh "
            "(installs nodejs, npm and the pinned ajv) and reconfigure"};
  }
  return run(quoted(node) + " " + quoted((kSourceRoot / "tools/sbom-check/check.js").string()) +
                 " " + quoted((kSourceRoot / "data/schemas").string()) + " " +
                 quoted(document.string()),
             dir);
}

// The purl specification's percent-encoding: alphanumerics, ".-_~" and ':' stay.
std::string purl_encoded(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || ch == '.' || ch == '-' || ch == '_' || ch == '~' || ch == ':') {
      out += ch;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned>(c));
      out += hex;
    }
  }
  return out;
}

// "name (scope)" for every component.
std::set<std::string> names_and_scopes(const json& doc) {
  std::set<std::string> out;
  for (const auto& c : doc.at("components")) {
    out.insert(c.at("name").get<std::string>() + " (" + c.value("scope", "required") + ")");
  }
  return out;
}

std::string listed(const std::set<std::string>& s) {
  std::string out;
  for (const auto& e : s) out += "\n    " + e;
  return out.empty() ? "\n    (none)" : out;
}

// A list the configuration wrote into the generator's inputs: set(NAME [==[a;b]==]).
std::string input_list(const std::string& name) {
  const std::string inputs = slurp(DSS_SBOM_INPUTS);
  const std::string marker = "set(" + name + " [==[";
  const auto at = inputs.find(marker);
  if (at == std::string::npos) return "<" + name + " missing from " DSS_SBOM_INPUTS ">";
  const auto start = at + marker.size();
  return inputs.substr(start, inputs.find("]==]", start) - start);
}

class ProjectSbom : public ::testing::Test {
 protected:
  // The generator runs once for the suite (project_sbom_test is one process: ONE_PROCESS in
  // tests/sbom/CMakeLists.txt); every test reads the document it wrote.
  struct Generated {
    dss::testing::TempDir tmp{"dss-project-sbom"};
    fs::path sbom = tmp.path() / "dss.cdx.json";
    Outcome run;
    std::string text;
  };
  static void SetUpTestSuite() {
    generated_ = new Generated;
    generated_->run = generate(generated_->sbom, generated_->tmp.path());
    if (generated_->run.status == 0) generated_->text = slurp(generated_->sbom);
  }
  static void TearDownTestSuite() {
    delete generated_;
    generated_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(generated_->run.status, 0) << "the project-sbom generator failed:\n"
                                         << generated_->run.output;
    text_ = generated_->text;
    doc_ = json::parse(text_);
  }

  static inline Generated* generated_ = nullptr;
  dss::testing::TempDir tmp_{"dss-project-sbom-test"};
  const fs::path& sbom_ = generated_->sbom;
  std::string text_;
  json doc_;
};

TEST_F(ProjectSbom, ValidatesAgainstCycloneDx15AndHasTheNtiaMinimumElements) {
  // Two independent implementations of the official schema: ajv here, valijson inside DSS's
  // own check, which also checks every NTIA minimum element. Both always run.
  const Outcome r = ajv(sbom_, tmp_.path());
  EXPECT_EQ(r.status, 0) << "ajv (tools/sbom-check) did not accept the project SBOM:\n" << r.output;
  const auto summary = check(text_);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->format, Format::kCycloneDx15);
  EXPECT_EQ(summary->subject.name, "dss");
  EXPECT_EQ(summary->subject.version, DSS_PROJECT_VERSION);
  EXPECT_FALSE(summary->subject.supplier.empty());
  EXPECT_EQ(summary->subject.id, std::string("pkg:generic/dss@") + DSS_PROJECT_VERSION);
  EXPECT_FALSE(summary->author.empty());
  EXPECT_EQ(summary->timestamp.back(), 'Z') << "metadata.timestamp must be UTC";
  EXPECT_EQ(summary->serial.rfind("urn:uuid:", 0), 0u);
  ASSERT_FALSE(summary->components.empty());
  EXPECT_EQ(summary->relationships, summary->components.size()) << "dss depends on each component";
  for (const Component& c : summary->components) {
    EXPECT_EQ(c.id.rfind("pkg:deb/debian/" + c.name + "@", 0), 0u) << c.id;
  }
}

TEST_F(ProjectSbom, ListsEveryDependencyTheConfigurationFoundAtItsInstalledDebianVersion) {
  // Every package find_package found has a line in cmake/ProjectSbom.cmake (or a reason there).
  const std::string unlisted = input_list("SBOM_UNLISTED_PACKAGES");
  EXPECT_EQ(unlisted, "") << "find_package found " << unlisted
                          << ", which cmake/ProjectSbom.cmake does not list; add a "
                             "dss_sbom_dependency line for it; then "
                          << kRegenerate;

  // Every dependency recorded at configure time is named by some component.
  std::stringstream deps(input_list("SBOM_DEPENDENCIES"));
  std::set<std::string> named;
  for (const auto& c : doc_.at("components")) {
    for (const auto& p : c.at("properties")) {
      if (p.at("name") == "dss:cmake:package") named.insert(p.at("value").get<std::string>());
    }
  }
  std::size_t count = 0;
  for (std::string dep; std::getline(deps, dep, ';'); ++count) {
    EXPECT_TRUE(named.contains(dep)) << dep << " was found by CMake but is not in the SBOM";
  }
  EXPECT_GE(count, 10u);

  // Each version is what dpkg says is installed (or, for a package the bootstrap unpacked into
  // .deps/ without installing it, what its control file says: ADR 0039), and the purl carries it
  // percent-encoded.
  for (const auto& c : doc_.at("components")) {
    const std::string name = c.at("name").get<std::string>();
    const bool unpacked =
        std::any_of(c.at("properties").begin(), c.at("properties").end(),
                    [](const json& p) { return p.at("name") == "dss:deb:unpacked"; });
    const fs::path control = kSourceRoot / ".deps" / name / "DEBIAN" / "control";
    const Outcome q =
        unpacked ? run("sed -n 's/^Version: //p' " + quoted(control.string()) + " | tr -d '\\n'",
                       tmp_.path())
                 : run("dpkg-query -W -f='${Version}' " + quoted(name), tmp_.path());
    ASSERT_EQ(q.status, 0) << q.output;
    ASSERT_FALSE(q.output.empty()) << name << ": no version";
    EXPECT_EQ(c.at("version").get<std::string>(), q.output) << name;
    const std::string purl = c.at("purl").get<std::string>();
    EXPECT_EQ(purl.rfind("pkg:deb/debian/" + name + "@" + purl_encoded(q.output) + "?arch=", 0), 0u)
        << purl;
    EXPECT_EQ(c.at("bom-ref"), c.at("purl"));
    EXPECT_EQ(c.at("supplier").at("name"), "Debian");
  }
}

TEST_F(ProjectSbom, CheckedInSbomIsNotStale) {
  ASSERT_TRUE(fs::exists(kCheckedIn)) << kCheckedIn << " is missing; " << kRegenerate;
  const std::string committed_text = slurp(kCheckedIn);
  const auto summary = check(committed_text);
  ASSERT_TRUE(summary) << "docs/sbom/dss.cdx.json is invalid: " << summary.error().message << "\n"
                       << kRegenerate;
  const Outcome r = ajv(kCheckedIn, tmp_.path());
  EXPECT_EQ(r.status, 0) << "ajv did not accept docs/sbom/dss.cdx.json:\n"
                         << r.output << kRegenerate;

  // Versions of Debian packages differ between point releases, so the components are compared
  // by name and scope; DSS's own version must match exactly.
  const json committed = json::parse(committed_text);
  EXPECT_EQ(committed.at("metadata").at("component").at("version"),
            doc_.at("metadata").at("component").at("version"))
      << "docs/sbom/dss.cdx.json describes another DSS version; " << kRegenerate;
  const auto built = names_and_scopes(doc_);
  const auto in_docs = names_and_scopes(committed);
  std::set<std::string> missing, extra;
  for (const auto& n : built) {
    if (!in_docs.contains(n)) missing.insert(n);
  }
  for (const auto& n : in_docs) {
    if (!built.contains(n)) extra.insert(n);
  }
  EXPECT_TRUE(missing.empty() && extra.empty())
      << "docs/sbom/dss.cdx.json is stale.\n  in this build but not in docs/sbom:"
      << listed(missing) << "\n  in docs/sbom but not in this build:" << listed(extra) << "\n"
      << kRegenerate;
}

// --- the generator's own rules, with a fake dpkg-query ----------------------------------------

class ProjectSbomGenerator : public ::testing::Test {
 protected:
  // A library file, one dependency naming it, an os-release with ID=`os_id`, and a dpkg-query
  // whose `-S` exits with `s_status` (0: the fake package owns the file) and whose `-W` gives a
  // version with an epoch and a '+'.
  void prepare(const std::string& os_id, int s_status) {
    const fs::path library = dir() / "libfake.so.1";
    spit(library, "");
    inputs_naming(library);
    spit(dir() / "os-release", "PRETTY_NAME=\"x\"\nID=" + os_id + "\nVERSION_CODENAME=bookworm\n");
    spit(dir() / "dpkg-query", "#!/bin/sh\nS_STATUS=" + std::to_string(s_status) + "\n" + R"(
case "$1" in
  -S) if [ "$S_STATUS" != 0 ]; then
        echo "dpkg-query: no path found matching pattern $2" >&2
        exit "$S_STATUS"
      fi
      echo "libfake1:amd64: $2" ;;
  -W) printf 'libfake1\t1:2.4.47-2+b1\tamd64\tfake\t1:2.4.47-2\tA fake library\n' ;;
  *) exit 2 ;;
esac
)");
    fs::permissions(dir() / "dpkg-query", fs::perms::owner_all);
  }
  // The generator's inputs: one required dependency, Fake, found as `file`.
  void inputs_naming(const fs::path& file) {
    spit(dir() / "inputs.cmake", R"(set(SBOM_NAME [==[dss]==])
set(SBOM_VERSION [==[9.8.7]==])
set(SBOM_DESCRIPTION [==[Default-Secure Software]==])
set(SBOM_SUPPLIER [==[The DSS project]==])
set(SBOM_DEP_Fake_SCOPE required)
set(SBOM_DEPENDENCIES [==[Fake]==])
set(SBOM_DEP_Fake_FILES [==[)" + file.string() +
                                     "]==])\n");
  }
  Outcome generate_fake() {
    return generate(out(), dir(),
                    "-DDPKG_QUERY=" + quoted((dir() / "dpkg-query").string()) +
                        " -DOS_RELEASE=" + quoted((dir() / "os-release").string()),
                    (dir() / "inputs.cmake").string());
  }
  [[nodiscard]] const fs::path& dir() const { return tmp_.path(); }
  [[nodiscard]] fs::path out() const { return dir() / "sbom.json"; }

  dss::testing::TempDir tmp_{"dss-project-sbom-gen"};
};

TEST_F(ProjectSbomGenerator, PurlPercentEncodesPlusAndKeepsTheEpochColon) {
  prepare("debian", 0);
  const Outcome r = generate_fake();
  ASSERT_EQ(r.status, 0) << r.output;
  const json doc = json::parse(slurp(out()));
  const json& c = doc.at("components").at(0);
  EXPECT_EQ(c.at("version"), "1:2.4.47-2+b1");
  EXPECT_EQ(c.at("purl"), "pkg:deb/debian/libfake1@1:2.4.47-2%2Bb1?arch=amd64&distro=bookworm");
  EXPECT_EQ(c.at("pedigree").at("ancestors").at(0).at("purl"),
            "pkg:deb/debian/fake@1:2.4.47-2?arch=source&distro=bookworm");
  EXPECT_EQ(doc.at("metadata").at("component").at("version"), "9.8.7");
  const auto summary = check(slurp(out()));
  EXPECT_TRUE(summary) << summary.error().message;
}

TEST_F(ProjectSbomGenerator, PackageUnpackedIntoDepsWithoutDpkgIsListedFromItsControlFile) {
  prepare("debian", 1);  // dpkg owns no file here
  const fs::path pkg = dir() / ".deps" / "libfake-dev";
  fs::create_directories(pkg / "usr" / "include" / "fake");
  fs::create_directories(pkg / "DEBIAN");
  const fs::path header = pkg / "usr" / "include" / "fake" / "fake.hpp";
  spit(header, "");
  spit(pkg / "DEBIAN" / "control",
       "Package: libfake-dev\nSource: fake (2.0-1)\nVersion: 2.0-1+b2\nArchitecture: all\n"
       "Depends: libqt5core5a\nDescription: A fake header-only library\n Long text.\n");
  inputs_naming(header);
  const Outcome r = generate_fake();
  ASSERT_EQ(r.status, 0) << r.output;
  const json doc = json::parse(slurp(out()));
  const json& c = doc.at("components").at(0);
  EXPECT_EQ(c.at("name"), "libfake-dev");
  EXPECT_EQ(c.at("version"), "2.0-1+b2");
  EXPECT_EQ(c.at("description"), "A fake header-only library");
  EXPECT_EQ(c.at("purl"), "pkg:deb/debian/libfake-dev@2.0-1%2Bb2?arch=all&distro=bookworm");
  EXPECT_EQ(c.at("pedigree").at("ancestors").at(0).at("purl"),
            "pkg:deb/debian/fake@2.0-1?arch=source&distro=bookworm");
  bool marked = false;
  for (const auto& p : c.at("properties")) marked = marked || p.at("name") == "dss:deb:unpacked";
  EXPECT_TRUE(marked) << c.dump();
  // A control file without a version is refused, and nothing is written.
  fs::remove(out());
  spit(pkg / "DEBIAN" / "control", "Package: libfake-dev\nArchitecture: all\n");
  const Outcome bad = generate_fake();
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.output.find("bootstrap.sh"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(out()));
}

TEST_F(ProjectSbomGenerator, TimestampIsUtcAndFollowsSourceDateEpoch) {
  prepare("debian", 0);
  const Outcome r = run("SOURCE_DATE_EPOCH=1700000000 " + quoted(DSS_CMAKE_COMMAND) +
                            " -DINPUTS=" + quoted((dir() / "inputs.cmake").string()) +
                            " -DOUT=" + quoted(out().string()) +
                            " -DDPKG_QUERY=" + quoted((dir() / "dpkg-query").string()) +
                            " -DOS_RELEASE=" + quoted((dir() / "os-release").string()) + " -P " +
                            quoted(DSS_SBOM_SCRIPT),
                        dir());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json::parse(slurp(out())).at("metadata").at("timestamp"), "2023-11-14T22:13:20Z");
}

TEST_F(ProjectSbomGenerator, RefusesAFileNoDebianPackageOwnsAndWritesNothing) {
  prepare("debian", 1);
  const Outcome r = generate_fake();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("no installed Debian package owns"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("libfake.so.1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("scripts/bootstrap.sh"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out()));
}

TEST_F(ProjectSbomGenerator, RefusesToNameDebianPackagesOnAnotherDistribution) {
  prepare("fedora", 0);
  const Outcome r = generate_fake();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("ID=\"fedora\""), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out()));
}

}  // namespace
}  // namespace dss::sbom
