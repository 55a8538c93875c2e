// dss::settings declarations: every setting DSS has is declared once, in the table in
// declarations.cc. A declaration gives the key, the type and allowed values, the secure
// default, a plain-language description, what loosening it risks (in business terms), which
// direction is stricter, which roles may change it, and whether the provider's policy may pin
// a floor for it. Everything else (validation, layering, the CLI, the loosening guide) is
// derived from the table.
//
// Pure: no I/O, no clock. Thread-safe (the table is immutable after first use).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace dss::settings {

// The secure default of auth.password_min_length: the shortest password a person may choose,
// in code points after NFKC normalisation (identity::check_password_policy counts it).
inline constexpr std::int64_t kPasswordMinLengthDefault = 15;

// The people who may act on a DSS installation, most powerful first.
enum class Role : std::uint8_t {
  kOwner = 0,
  kSecurityOfficer = 1,
  kReleaseManager = 2,
  kOperator = 3,
  kAuditor = 4,
  kViewer = 5,
};
std::string_view role_name(Role role);
// kInvalidArgument for anything but the six names ("owner", "security-officer", ...).
Result<Role> role_from_name(std::string_view name);

// A set of roles, as a bit mask.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ = static_cast<std::uint8_t>(bits_ | bit(r));
  }
  [[nodiscard]] constexpr bool contains(Role r) const { return (bits_ & bit(r)) != 0; }
  [[nodiscard]] std::string names() const;  // "owner, security-officer"

 private:
  static constexpr std::uint8_t bit(Role r) {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(r));
  }
  std::uint8_t bits_ = 0;
};

enum class Kind : std::uint8_t {
  kBool,     // on/off; the declaration names which of the two is stricter
  kInteger,  // a number in [min, max]; the declaration names which direction is stricter
  kChoice,   // one of a list of values, listed strictest first
  kSet,      // a non-empty subset of allowed members; a smaller set is stricter
};

enum class Direction : std::uint8_t { kHigherIsStricter, kLowerIsStricter };

using Members = std::set<std::string, std::less<>>;
// A setting's value. The alternative in use always matches the declaration's Kind:
// bool for kBool, int64 for kInteger, string for kChoice, Members for kSet.
using Value = std::variant<bool, std::int64_t, std::string, Members>;

struct Declaration {
  std::string_view key;
  Kind kind = Kind::kBool;
  std::string_view description;  // what it does, for an intelligent non-expert
  std::string_view risk;         // what loosening it gives up, in business terms
  Value secure_default;
  bool stricter_bool = true;                           // kBool
  std::int64_t min = 0, max = 0;                       // kInteger, inclusive
  Direction direction = Direction::kHigherIsStricter;  // kInteger
  std::string_view unit;                               // kInteger, e.g. "minutes"
  std::vector<std::string_view> allowed;  // kChoice: strictest first; kSet: allowed members
  RoleSet may_change;
  bool policy_may_pin_floor = false;
};

// The whole table, in a fixed order (the order of `dss settings list` and the guide).
const std::vector<Declaration>& declarations();
// kUnknownSetting naming `key` if no declaration has it.
Result<const Declaration*> find_declaration(std::string_view key);

// A setting DSS declared once and no longer does. A settings file or policy bundle written
// before it was retired may still name it: the value is ignored with a warning, never an
// error, so a stored value cannot stop the server or the agent from starting.
struct RetiredSetting {
  std::string_view key;
  std::string_view why;  // one sentence, with the ADR that retired it
};
// nullptr when `key` was never retired.
const RetiredSetting* find_retired_setting(std::string_view key);

// "higher is stricter", "on is stricter", "earlier in the list is stricter", ...
std::string strictness_text(const Declaration& d);
// The allowed values in words, e.g. "a whole number from 12 to 128 (characters)".
std::string allowed_text(const Declaration& d);

// --- Values ------------------------------------------------------------------------------------

// Parses a value typed by a person ("on", "off", "15", "1.3", "ed25519,ecdsa-p256").
// kInvalidValue naming the key and what is allowed.
Result<Value> parse_value(const Declaration& d, std::string_view text);
// Checks that `v` has the declared type and an allowed value. kInvalidValue otherwise.
Status validate_value(const Declaration& d, const Value& v);
// The value as a person types it (the inverse of parse_value).
std::string format_value(const Value& v);
// The value as a canonical JSON fragment (true, 15, "1.3", ["ecdsa-p256","ed25519"]).
std::string value_to_json(const Value& v);

enum class Comparison : std::uint8_t {
  kSame,
  kStricter,   // a is stricter than b
  kLooser,     // a is looser than b
  kUnordered,  // sets where neither is a subset of the other: each allows something new
};
// How `a` compares with `b` in strictness. Both must be valid for `d`.
Comparison compare(const Declaration& d, const Value& a, const Value& b);
// True when changing from `from` to `to` allows anything `from` did not: a looser value, or
// a set that gains a member. Such a change needs an acknowledgement.
bool loosens(const Declaration& d, const Value& from, const Value& to);
// The stricter of `value` and `floor`: for sets their intersection (the floor if that is
// empty, since an empty set is not a valid value).
Value strictest(const Declaration& d, const Value& value, const Value& floor);

// --- Templates ---------------------------------------------------------------------------------

struct Template {
  std::string_view name;
  std::string_view description;
  std::vector<std::pair<std::string_view, Value>> overrides;  // settings it sets away from default
};
inline constexpr std::string_view kDefaultTemplate = "strict";
const std::vector<Template>& templates();
// kUnknownSetting naming `name` if there is no such template.
Result<const Template*> find_template(std::string_view name);
// The value `t` gives `d` (its override, else the secure default).
Value template_value(const Template& t, const Declaration& d);

// --- The loosening guide -----------------------------------------------------------------------

// docs/loosening-guide.md, generated from the table; a test keeps the committed file fresh.
std::string loosening_guide_markdown();

}  // namespace dss::settings
