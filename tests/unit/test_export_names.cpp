#include "evidence/image.hpp"
#include "export/export_file.hpp"

#include <catch2/catch.hpp>

TEST_CASE("safe export names never escape the folder", "[unit]") {
    using triage::exporter::safe_file_name;
    CHECK(safe_file_name("../../etc/passwd") == "_._.._etc_passwd");
    CHECK(safe_file_name("..") == "_..");
    CHECK(safe_file_name(".") == "_.");
    CHECK(safe_file_name("") == "_");
    CHECK(safe_file_name("/abs/path") == "_abs_path");
    CHECK(safe_file_name("a\nb\x01") == "a_b_");
    CHECK(safe_file_name(std::string(4000, 'x')).size() == 200);
}

#include "engine/detectors.hpp"

TEST_CASE("declared option types are checked", "[unit]") {
    using triage::engine::check_option_value;
    CHECK(check_option_value("int", "42").empty());
    CHECK(check_option_value("int", "-3").empty());
    CHECK(!check_option_value("int", "4x").empty());
    CHECK(!check_option_value("int", "").empty());
    CHECK(check_option_value("bool", "true").empty());
    CHECK(!check_option_value("bool", "maybe").empty());
    CHECK(check_option_value("size", "64M").empty());
    CHECK(check_option_value("size", "4096").empty());
    CHECK(!check_option_value("size", "M").empty());
    CHECK(check_option_value("string", "anything at all").empty());
}
