// Feeds the parser and the validator thousands of damaged documents: whatever the input, the
// answer is a config or INVALID_ARGUMENT — never a crash, a hang or another code.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "gofer/pipeline/canonical.h"
#include "gofer/pipeline/config_parser.h"
#include "gofer/pipeline/dag.h"
#include "gofer/pipeline/diff.h"
#include "gofer/pipeline/validation.h"
#include "test_support.h"

namespace {

using gofer::pipeline::testing::ReadFixture;

// Fragments that stress the grammar of YAML, JSON and interpolations when spliced in.
const std::vector<std::string> kFragments = {
    "{",
    "}",
    "[",
    "]",
    ":",
    ": ",
    "- ",
    "\n",
    "\t",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "\"",
    "'",
    "{{",
    "}}",
    "pipeline_secret{{",
    "\\u0000",
    "\\ud800",
    "#",
    "---\n",
    "...\n",
    "~",
    "null",
    "1e999",
    "-9223372036854775809",
    "\xC3",
    "\xF0\x9F\x9A\x80",
    std::string(1, '\0'),
};

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : random_(seed) {}

  std::string Mutate(std::string doc) {
    const int edits = 1 + Below(4);
    for (int i = 0; i < edits && !doc.empty(); ++i) {
      const size_t at = Below(doc.size());
      switch (Below(6)) {
        case 0:  // Flip one byte to any value.
          doc[at] = static_cast<char>(Below(256));
          break;
        case 1:  // Truncate.
          doc.resize(at);
          break;
        case 2:  // Duplicate a slice in place.
          doc.insert(at, doc.substr(at, Below(64)));
          break;
        case 3:  // Delete a slice.
          doc.erase(at, Below(32));
          break;
        case 4:  // Splice in a fragment.
          doc.insert(at, kFragments[Below(kFragments.size())]);
          break;
        default:  // Swap two lines' worth of bytes.
          std::swap(doc[at], doc[Below(doc.size())]);
          break;
      }
    }
    return doc;
  }

 private:
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random_); }

  std::mt19937 random_;
};

// Whether `s` is valid UTF-8 (statuses travel in protobuf strings, which must be). Checks the
// structure only: lead byte, continuation bytes, no truncation.
bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t length = c < 0x80                ? 1
                          : c >= 0xC2 && c < 0xE0 ? 2
                          : c >= 0xE0 && c < 0xF0 ? 3
                          : c >= 0xF0 && c < 0xF5 ? 4
                                                  : 0;
    if (length == 0 || i + length > s.size()) {
      return false;
    }
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

// Parses and, when that works, validates, hashes, orders and diffs; returns the code seen.
absl::StatusCode Exercise(const std::string& doc, gofer::pipeline::Format format) {
  const auto parsed = gofer::pipeline::ParseConfig(doc, format);
  if (!parsed.ok()) {
    INFO(parsed.status().message());
    CHECK(IsUtf8(std::string(parsed.status().message())));
    return parsed.status().code();
  }
  const absl::Status valid = gofer::pipeline::ValidateConfig(*parsed);
  (void)gofer::pipeline::ConfigHash(*parsed);
  (void)gofer::pipeline::TopologicalOrder(*parsed);
  (void)gofer::pipeline::FormatDiff(gofer::pipeline::DiffConfigs({}, *parsed));
  return valid.code();
}

void FuzzFormat(const std::string& example, gofer::pipeline::Format format, uint32_t seed) {
  Mutator mutator(seed);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string doc = mutator.Mutate(example);
    if (getenv("DUMP_FUZZ")) {
      FILE* f = fopen("/tmp/pexp/fuzz.txt", "w");
      fwrite(doc.data(), 1, doc.size(), f);
      fclose(f);
    }
    const absl::StatusCode code = Exercise(doc, format);
    if (code != absl::StatusCode::kOk && code != absl::StatusCode::kInvalidArgument) {
      FAIL("unexpected " << absl::StatusCodeToString(code) << " for document:\n" << doc);
    }
    accepted += code == absl::StatusCode::kOk;
  }
  // Some damage leaves a valid config (a flipped byte in a description), most does not.
  CHECK(accepted > 0);
  CHECK(accepted < 3000);
}

}  // namespace

TEST_CASE("Thousands of damaged YAML documents give a config or INVALID_ARGUMENT") {
  FuzzFormat(ReadFixture("dag.yaml"), gofer::pipeline::Format::kYaml, 20240601);
}

TEST_CASE("Thousands of damaged JSON documents give a config or INVALID_ARGUMENT") {
  FuzzFormat(ReadFixture("dag.json"), gofer::pipeline::Format::kJson, 20240602);
}

TEST_CASE("Damaged documents are also survived when the format is detected") {
  Mutator mutator(7);
  const std::string yaml = ReadFixture("dag.yaml");
  const std::string json = ReadFixture("dag.json");
  for (int i = 0; i < 1000; ++i) {
    const std::string doc = mutator.Mutate(i % 2 == 0 ? yaml : json);
    const absl::StatusCode code = Exercise(doc, gofer::pipeline::Format::kAuto);
    CHECK((code == absl::StatusCode::kOk || code == absl::StatusCode::kInvalidArgument));
  }
}
